using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZkCompat.InteropTests.Tls;

/// <summary>
/// The key and trust stores both servers and zkCli use, made at test time: a CA, a server certificate
/// for localhost/127.0.0.1 (Java clients verify the host), two client certificates from the CA and one
/// from a CA nobody trusts. Key stores are PKCS12 files written by .NET; the trust store is made by the
/// JDK's keytool (a PKCS12 trust store needs Java's trusted-certificate attribute to be read by Java),
/// so each side reads a store the other wrote.
/// </summary>
public sealed class TlsTestFiles : IDisposable
{
    public const string Password = "secret";

    /// <summary>A subject with several RDNs (exercises Java's name formatting in x509 ids).</summary>
    public const string ClientOneSubject = "CN=zk client one, OU=Interop, O=ZkCompat";

    /// <summary>How Java prints <see cref="ClientOneSubject"/> (X500Principal.getName()).</summary>
    public const string ClientOneId = "CN=zk client one,OU=Interop,O=ZkCompat";

    /// <summary>A single-RDN subject, so zkCli's ACL syntax (commas separate entries) can name it.</summary>
    public const string ClientTwoId = "CN=zkclient2";

    private TlsTestFiles(string directory) => Directory = directory;

    public string Directory { get; }
    public string ServerKeyStore => Path.Combine(Directory, "server.p12");
    public string TrustStore => Path.Combine(Directory, "trust.p12");
    public string ClientOneKeyStore => Path.Combine(Directory, "client-one.p12");
    public string ClientTwoKeyStore => Path.Combine(Directory, "client-two.p12");
    public string RogueKeyStore => Path.Combine(Directory, "rogue.p12");

    public static TlsTestFiles Create()
    {
        string directory = Path.Combine(Path.GetTempPath(), "zkcompat-interop-tls-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var files = new TlsTestFiles(directory);
        try
        {
            files.Write();
        }
        catch
        {
            files.Dispose();
            throw;
        }
        return files;
    }

    private void Write()
    {
        using var caKey = RSA.Create(2048);
        using var ca = CreateCa("CN=ZkCompat Interop CA, O=ZkCompat", caKey);
        using var rogueKey = RSA.Create(2048);
        using var rogueCa = CreateCa("CN=Rogue CA", rogueKey);

        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        WriteKeyStore(ServerKeyStore, ca, "CN=localhost, O=ZkCompat Interop", "1.3.6.1.5.5.7.3.1", san.Build());
        WriteKeyStore(ClientOneKeyStore, ca, ClientOneSubject, "1.3.6.1.5.5.7.3.2", null);
        WriteKeyStore(ClientTwoKeyStore, ca, ClientTwoId, "1.3.6.1.5.5.7.3.2", null);
        WriteKeyStore(RogueKeyStore, rogueCa, ClientOneSubject, "1.3.6.1.5.5.7.3.2", null);

        string caPem = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(caPem, ca.ExportCertificatePem());
        string keytool = Path.Combine(Path.GetDirectoryName(JavaEnvironment.Default.Java)!, "keytool");
        JavaEnvironment.Run(keytool,
                ["-importcert", "-noprompt", "-alias", "ca", "-file", caPem, "-keystore", TrustStore, "-storetype", "PKCS12", "-storepass", Password],
                TimeSpan.FromMinutes(1))
            .EnsureSuccess("keytool -importcert");
    }

    private static X509Certificate2 CreateCa(string subject, RSA key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    private static void WriteKeyStore(string path, X509Certificate2 issuer, string subject, string usage, X509Extension? san)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        if (san is not null) request.CertificateExtensions.Add(san);
        var now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(8);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01); // positive, and no leading zero byte
        using var unkeyed = request.Create(issuer, now.AddDays(-1), now.AddDays(20), serial);
        using var certificate = unkeyed.CopyWithPrivateKey(key);
        using var issuerPublic = X509CertificateLoader.LoadCertificate(issuer.RawData);
        var chain = new X509Certificate2Collection { certificate, issuerPublic };
        File.WriteAllBytes(path, chain.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, Password));
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
