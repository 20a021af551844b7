using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZkCompat.Server.Tests.Tls;

/// <summary>A certificate with its private key (kept apart, for PEM export).</summary>
public sealed record IssuedCertificate(X509Certificate2 Certificate, AsymmetricAlgorithm Key) : IDisposable
{
    public string Subject => Certificate.Subject;

    public void Dispose()
    {
        Certificate.Dispose();
        Key.Dispose();
    }
}

/// <summary>
/// A throwaway PKI made at test time with CertificateRequest: CAs, a server certificate for
/// localhost/127.0.0.1 and client certificates, written as PKCS12 or PEM key and trust stores into a
/// temp directory that is deleted on dispose.
/// </summary>
public sealed class TestPki : IDisposable
{
    public const string Password = "secret";
    private readonly List<IssuedCertificate> _issued = [];
    private long _serial = 1;

    public TestPki(bool rsa = false)
    {
        Rsa = rsa;
        Directory = Path.Combine(Path.GetTempPath(), "zkcompat-tls-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>RSA 2048 keys instead of the (faster) P-256 ones.</summary>
    public bool Rsa { get; }

    public string Directory { get; }

    public string PathOf(string fileName) => Path.Combine(Directory, fileName);

    public IssuedCertificate CreateCa(string subject)
    {
        var key = NewKey();
        var request = Request(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        return Keep(new IssuedCertificate(certificate, key));
    }

    /// <summary>A server certificate for localhost and 127.0.0.1 (Java clients verify the host name).</summary>
    public IssuedCertificate IssueServer(IssuedCertificate ca, string subject = "CN=localhost, O=ZkCompat Test")
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        return Issue(ca, subject, "1.3.6.1.5.5.7.3.1", san.Build());
    }

    public IssuedCertificate IssueClient(IssuedCertificate ca, string subject) => Issue(ca, subject, "1.3.6.1.5.5.7.3.2", null);

    /// <summary>A CA below <paramref name="ca"/> that can issue certificates itself.</summary>
    public IssuedCertificate IssueIntermediate(IssuedCertificate ca, string subject)
    {
        var key = NewKey();
        var request = Request(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, true, false));
        return Keep(new IssuedCertificate(Sign(request, ca, key), key));
    }

    private IssuedCertificate Issue(IssuedCertificate ca, string subject, string usage, X509Extension? san)
    {
        var key = NewKey();
        var request = Request(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | (Rsa ? X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.KeyAgreement), true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, true, false));
        if (san is not null) request.CertificateExtensions.Add(san);
        return Keep(new IssuedCertificate(Sign(request, ca, key), key));
    }

    private X509Certificate2 Sign(CertificateRequest request, IssuedCertificate ca, AsymmetricAlgorithm key)
    {
        var now = DateTimeOffset.UtcNow;
        byte[] serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial));
        Array.Reverse(serial);
        // Issued certificates carry their private key, so each can sign in turn.
        using var unkeyed = request.Create(ca.Certificate, now.AddDays(-1), now.AddDays(20), serial);
        return WithKey(unkeyed, key);
    }

    private static X509Certificate2 WithKey(X509Certificate2 certificate, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => certificate.CopyWithPrivateKey(rsa),
        ECDsa ec => certificate.CopyWithPrivateKey(ec),
        _ => throw new InvalidOperationException("unknown key type"),
    };

    private static CertificateRequest Request(string subject, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
        _ => throw new InvalidOperationException("unknown key type"),
    };

    private AsymmetricAlgorithm NewKey() => Rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private IssuedCertificate Keep(IssuedCertificate issued)
    {
        _issued.Add(issued);
        return issued;
    }

    /// <summary>A PKCS12 key store: the key entry and its chain (leaf first).</summary>
    public string WritePkcs12KeyStore(string fileName, IssuedCertificate leaf, params IssuedCertificate[] chain)
    {
        var collection = new X509Certificate2Collection { leaf.Certificate };
        foreach (var c in chain) collection.Add(X509CertificateLoader.LoadCertificate(c.Certificate.RawData));
        string path = PathOf(fileName);
        File.WriteAllBytes(path, collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password));
        return path;
    }

    /// <summary>A PKCS12 trust store holding the certificates only.</summary>
    public string WritePkcs12TrustStore(string fileName, params IssuedCertificate[] trusted)
    {
        var collection = new X509Certificate2Collection();
        foreach (var c in trusted) collection.Add(X509CertificateLoader.LoadCertificate(c.Certificate.RawData));
        string path = PathOf(fileName);
        File.WriteAllBytes(path, collection.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password));
        return path;
    }

    /// <summary>A PEM key store: the PKCS#8 key (encrypted when <paramref name="password"/> is given), then the chain.</summary>
    public string WritePemKeyStore(string fileName, IssuedCertificate leaf, string? password, params IssuedCertificate[] chain)
    {
        string key = password is null
            ? leaf.Key.ExportPkcs8PrivateKeyPem()
            : leaf.Key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 10000));
        string text = key + "\n" + leaf.Certificate.ExportCertificatePem() + "\n" + string.Concat(chain.Select(c => c.Certificate.ExportCertificatePem() + "\n"));
        string path = PathOf(fileName);
        File.WriteAllText(path, text);
        return path;
    }

    public string WritePemTrustStore(string fileName, params IssuedCertificate[] trusted)
    {
        string path = PathOf(fileName);
        File.WriteAllText(path, string.Concat(trusted.Select(c => c.Certificate.ExportCertificatePem() + "\n")));
        return path;
    }

    public void Dispose()
    {
        foreach (var issued in _issued) issued.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
