using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ZkCompat.Server.Network.Tls;

/// <summary>The store formats Java's X509Util knows (<c>KeyStoreFileType</c>); only PEM and PKCS12 can be read here.</summary>
public enum KeyStoreFileType
{
    Jks,
    Pem,
    Pkcs12,
    Bcfks,
}

/// <summary>A key or trust store that cannot be used; the message says why, in Java's words where it has some.</summary>
public sealed class TlsSetupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The server's certificate with its private key, and the rest of its chain to send to clients.</summary>
public sealed record ServerKeyMaterial(X509Certificate2 Certificate, X509Certificate2Collection Chain);

/// <summary>
/// Loads key stores and trust stores as Java's <c>FileKeyStoreLoader</c>s do: the type from the setting,
/// else from the file name; PKCS12 with its password; PEM as in <c>PemReader</c> (one PKCS#8 private key,
/// encrypted when a password is given, plus the certificate chain, leaf first; a trust store is every
/// certificate in the file).
/// </summary>
public static class KeyStoreLoader
{
    /// <summary><c>KeyStoreFileType.fromPropertyValueOrFileName</c>.</summary>
    /// <exception cref="ArgumentException">An unknown type, or no type and a file name without a known extension.</exception>
    public static KeyStoreFileType ResolveType(string? typeProperty, string fileName)
    {
        if (!string.IsNullOrEmpty(typeProperty))
        {
            return typeProperty.ToUpperInvariant() switch
            {
                "JKS" => KeyStoreFileType.Jks,
                "PEM" => KeyStoreFileType.Pem,
                "PKCS12" => KeyStoreFileType.Pkcs12,
                "BCFKS" => KeyStoreFileType.Bcfks,
                _ => throw new ArgumentException("No enum constant org.apache.zookeeper.common.KeyStoreFileType." + typeProperty.ToUpperInvariant()),
            };
        }
        int dot = fileName.LastIndexOf('.');
        return (dot >= 0 ? fileName[dot..] : "") switch
        {
            ".jks" => KeyStoreFileType.Jks,
            ".pem" => KeyStoreFileType.Pem,
            ".p12" => KeyStoreFileType.Pkcs12,
            ".bcfks" => KeyStoreFileType.Bcfks,
            _ => throw new ArgumentException("Unable to auto-detect store file type from file name: " + fileName),
        };
    }

    /// <summary>
    /// <c>getPasswordFromConfigPropertyOrFile</c>: the file named by the path setting wins (one trailing line
    /// separator removed), else the password setting, else "".
    /// </summary>
    public static string ResolvePassword(string? password, string? passwordPath)
    {
        if (string.IsNullOrEmpty(passwordPath)) return password ?? "";
        try
        {
            string secret = File.ReadAllText(passwordPath, Encoding.UTF8);
            return secret.EndsWith(Environment.NewLine, StringComparison.Ordinal) ? secret[..^Environment.NewLine.Length] : secret;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsSetupException("Exception occurred when reading secret from file " + passwordPath, e);
        }
    }

    /// <summary>The server's key and chain (Java's <c>createKeyManager</c>).</summary>
    public static ServerKeyMaterial LoadKeyStore(string location, string password, string? typeProperty, string typeKey)
    {
        var type = Resolve(typeProperty, location, typeKey);
        try
        {
            return type switch
            {
                KeyStoreFileType.Pkcs12 => KeyFromPkcs12(location, password),
                KeyStoreFileType.Pem => KeyFromPem(location, password),
                _ => throw Unsupported(type, typeKey),
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new TlsSetupException($"Failed to create KeyManager: {location}: {e.Message}", e);
        }
    }

    /// <summary>The certificates a trust store holds (Java's <c>createTrustManager</c>: every one is a trust anchor).</summary>
    public static X509Certificate2Collection LoadTrustStore(string location, string password, string? typeProperty, string typeKey)
    {
        var type = Resolve(typeProperty, location, typeKey);
        try
        {
            var certificates = type switch
            {
                KeyStoreFileType.Pkcs12 => X509CertificateLoader.LoadPkcs12CollectionFromFile(location, password, StorageFlags),
                KeyStoreFileType.Pem => ReadPemCertificates(File.ReadAllText(location, Encoding.ASCII)),
                _ => throw Unsupported(type, typeKey),
            };
            return certificates;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new TlsSetupException($"Failed to create TrustManager: {location}: {e.Message}", e);
        }
    }

    // Keys are only needed in memory; on Windows SChannel needs them in a key container.
    private static X509KeyStorageFlags StorageFlags =>
        OperatingSystem.IsWindows() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;

    private static KeyStoreFileType Resolve(string? typeProperty, string location, string typeKey)
    {
        try
        {
            return ResolveType(typeProperty, location);
        }
        catch (ArgumentException e)
        {
            throw new TlsSetupException($"Bad value for {typeKey}: {typeProperty ?? "null"} ({e.Message})", e);
        }
    }

    private static TlsSetupException Unsupported(KeyStoreFileType type, string typeKey) =>
        new($"{typeKey}: {type.ToString().ToUpperInvariant()} stores are not supported by ZkCompat; use PKCS12 or PEM");

    private static ServerKeyMaterial KeyFromPkcs12(string location, string password)
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(location, password, StorageFlags);
        // Java's key manager serves the store's key entry; its chain is the other certificates.
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new TlsSetupException($"Failed to create KeyManager: {location} holds no private key entry");
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (!ReferenceEquals(certificate, leaf)) chain.Add(certificate);
        }
        return new ServerKeyMaterial(ForSslStream(leaf), chain);
    }

    private static ServerKeyMaterial KeyFromPem(string location, string password)
    {
        string text = File.ReadAllText(location, Encoding.ASCII);
        var certificates = ReadPemCertificates(text);
        if (certificates.Count == 0) throw new TlsSetupException("Certificate file does not contain any certificates: " + location);
        string keyPem = FindPrivateKey(text) ?? throw new TlsSetupException("did not find a private key");
        // PemReader: a password means an encrypted PKCS#8 key, no password a plain one.
        var leaf = password.Length == 0
            ? X509Certificate2.CreateFromPem(certificates[0].ExportCertificatePem(), keyPem)
            : X509Certificate2.CreateFromEncryptedPem(certificates[0].ExportCertificatePem(), keyPem, password);
        var chain = new X509Certificate2Collection();
        for (int i = 1; i < certificates.Count; i++) chain.Add(certificates[i]);
        return new ServerKeyMaterial(ForSslStream(leaf), chain);
    }

    // Every block whose label ends in CERTIFICATE, in file order (PemReader's pattern).
    private static X509Certificate2Collection ReadPemCertificates(string text)
    {
        var result = new X509Certificate2Collection();
        ReadOnlySpan<char> rest = text;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (label.EndsWith("CERTIFICATE", StringComparison.Ordinal))
            {
                byte[] der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
                result.Add(X509CertificateLoader.LoadCertificate(der));
            }
            rest = rest[fields.Location.End..];
        }
        return result;
    }

    private static string? FindPrivateKey(string text)
    {
        ReadOnlySpan<char> rest = text;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].EndsWith("PRIVATE KEY", StringComparison.Ordinal)) return rest[fields.Location].ToString();
            rest = rest[fields.Location.End..];
        }
        return null;
    }

    // SChannel cannot use an ephemeral key; elsewhere the certificate is used as loaded.
    private static X509Certificate2 ForSslStream(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsWindows()) return certificate;
        using (certificate)
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
