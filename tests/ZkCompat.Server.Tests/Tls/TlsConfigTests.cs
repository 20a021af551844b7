using ZkCompat.Server.Config;
using ZkCompat.Server.Network.Tls;

namespace ZkCompat.Server.Tests.Tls;

/// <summary>zoo.cfg's secure port and ssl.* keys, the connection factory check and the store loaders.</summary>
public class TlsConfigTests
{
    private static readonly Dictionary<string, string> NoProperties = new();

    private static ServerOptions Parse(string zooCfg, IReadOnlyDictionary<string, string>? properties = null)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "zkcompat-tlscfg-" + Guid.NewGuid().ToString("N"));
        return ConfigLoader.Parse($"tickTime=2000\ndataDir={dataDir}\nclientPort=2181\n" + zooCfg, properties ?? NoProperties, null);
    }

    [Test]
    public void Ssl_keys_in_zoo_cfg_are_the_zookeeper_ssl_properties()
    {
        var o = Parse("""
            secureClientPort=2281
            secureClientPortAddress=127.0.0.1
            serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory
            ssl.keyStore.location=/k.p12
            ssl.keyStore.password=kp
            ssl.trustStore.location=/t.pem
            ssl.trustStore.type=PEM
            ssl.clientAuth=want
            ssl.enabledProtocols=TLSv1.3,TLSv1.2
            ssl.ciphersuites=TLS_AES_128_GCM_SHA256
            client.certReload=true
            X509AuthenticationProvider.superUser=CN=admin
            authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider
            """);
        Assert.That(o.SecureClientPort, Is.EqualTo(2281));
        Assert.That(o.SecureClientPortAddress, Is.EqualTo("127.0.0.1"));
        Assert.That(o.ServerCnxnFactory, Is.EqualTo(ServerOptions.NettyServerCnxnFactory));
        Assert.That(o.ClientTls, Is.EqualTo(new ClientTlsOptions
        {
            KeyStoreLocation = "/k.p12",
            KeyStorePassword = "kp",
            TrustStoreLocation = "/t.pem",
            TrustStoreType = "PEM",
            ClientAuth = "want",
            EnabledProtocols = "TLSv1.3,TLSv1.2",
            CipherSuites = "TLS_AES_128_GCM_SHA256",
            CertReload = true,
            X509SuperUser = "CN=admin",
        }));
        Assert.That(o.UnknownKeys, Is.Empty, "every ssl key is read by the server");
        Assert.That(SecureClientPort.StartupProblem(o), Is.Null);
    }

    [Test]
    public void System_properties_set_the_same_settings()
    {
        var o = Parse("secureClientPort=2281\n", new Dictionary<string, string>
        {
            ["zookeeper.ssl.keyStore.location"] = "/k.pem",
            ["zookeeper.serverCnxnFactory"] = ServerOptions.NettyServerCnxnFactory,
            ["zookeeper.netty.server.outstandingHandshake.limit"] = "0x10",
        });
        Assert.That(o.ClientTls.KeyStoreLocation, Is.EqualTo("/k.pem"));
        Assert.That(o.ClientTls.OutstandingHandshakeLimit, Is.EqualTo(16));
        Assert.That(o.ClientTls.Protocol, Is.EqualTo("TLSv1.2"));
    }

    [Test]
    public void The_nio_factory_cannot_serve_a_secure_port()
    {
        var o = Parse("secureClientPort=2281\n");
        Assert.That(SecureClientPort.StartupProblem(o), Is.EqualTo("java.lang.UnsupportedOperationException: SSL isn't supported in NIOServerCnxn"));
        Assert.That(SecureClientPort.StartupProblem(Parse("")), Is.Null, "the plain port is fine with NIO");
    }

    [Test]
    public void An_unknown_factory_class_cannot_be_instantiated()
    {
        var o = Parse("serverCnxnFactory=com.example.Nope\n");
        Assert.That(SecureClientPort.StartupProblem(o), Is.EqualTo("java.io.IOException: Couldn't instantiate com.example.Nope"));
    }

    [TestCase("ssl.keyStore.location=/etc/zk/server.jks\n", "JKS")]
    [TestCase("ssl.trustStore.location=/etc/zk/trust.p12\nssl.trustStore.type=jks\n", "JKS")]
    [TestCase("ssl.keyStore.location=/etc/zk/server.bcfks\n", "BCFKS")]
    public void Jks_stores_are_a_config_error_naming_jks(string lines, string type)
    {
        var e = Assert.Throws<ConfigException>(() => Parse("secureClientPort=2281\nserverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n" + lines));
        Assert.That(e!.Message, Does.Contain(type + " stores").And.Contain("not supported by ZkCompat").And.Contain("PKCS12"));
    }

    [Test]
    public void Jks_does_not_matter_to_a_server_that_never_reads_the_stores()
    {
        Assert.That(Parse("ssl.keyStore.location=/etc/zk/server.jks\n").ClientTls.KeyStoreLocation, Is.EqualTo("/etc/zk/server.jks"));
    }

    [TestCase(null, "x.p12", KeyStoreFileType.Pkcs12)]
    [TestCase("", "x.pem", KeyStoreFileType.Pem)]
    [TestCase("pkcs12", "x.pem", KeyStoreFileType.Pkcs12)]
    [TestCase("PEM", "x", KeyStoreFileType.Pem)]
    public void Store_type_comes_from_the_setting_else_the_file_name(string? type, string file, KeyStoreFileType expected)
    {
        Assert.That(KeyStoreLoader.ResolveType(type, file), Is.EqualTo(expected));
    }

    [Test]
    public void Store_type_errors_say_what_java_says()
    {
        Assert.That(() => KeyStoreLoader.ResolveType(null, "/etc/zk/store.pfx"),
            Throws.ArgumentException.With.Message.EqualTo("Unable to auto-detect store file type from file name: /etc/zk/store.pfx"));
        Assert.That(() => KeyStoreLoader.ResolveType("pfx", "x.p12"),
            Throws.ArgumentException.With.Message.EqualTo("No enum constant org.apache.zookeeper.common.KeyStoreFileType.PFX"));
    }

    [TestCase(null, ClientAuthMode.Need)]
    [TestCase("", ClientAuthMode.Need)]
    [TestCase("want", ClientAuthMode.Want)]
    [TestCase("None", ClientAuthMode.None)]
    [TestCase("NEED", ClientAuthMode.Need)]
    public void Client_auth_values(string? value, ClientAuthMode expected)
    {
        Assert.That(ClientTlsContext.ParseClientAuth(value), Is.EqualTo(expected));
    }

    [Test]
    public void Password_files_lose_one_trailing_newline()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "s3cret\n");
            Assert.That(KeyStoreLoader.ResolvePassword("ignored", file), Is.EqualTo("s3cret"));
            File.WriteAllText(file, "s3cret\n\n");
            Assert.That(KeyStoreLoader.ResolvePassword(null, file), Is.EqualTo("s3cret\n"));
            Assert.That(KeyStoreLoader.ResolvePassword(null, null), Is.EqualTo(""));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void Context_errors_name_the_setting()
    {
        using var pki = new TestPki();
        var ca = pki.CreateCa("CN=ca");
        var server = pki.IssueServer(ca);
        string key = pki.WritePkcs12KeyStore("k.p12", server, ca);
        var good = new ClientTlsOptions { KeyStoreLocation = key, KeyStorePassword = TestPki.Password };

        var warnings = new List<string>();
        var context = ClientTlsContext.Create(good, warnings);
        Assert.That(context.Key!.Certificate.HasPrivateKey, Is.True);
        Assert.That(context.Key.Chain.Cast<System.Security.Cryptography.X509Certificates.X509Certificate2>().Select(c => c.Subject), Is.EqualTo(new[] { "CN=ca" }));
        Assert.That(warnings, Is.EqualTo(new[] { "zookeeper.ssl.trustStore.location not specified" }));

        Assert.That(() => ClientTlsContext.Create(good with { KeyStorePassword = "wrong" }, []),
            Throws.TypeOf<TlsSetupException>().With.Message.StartsWith("Failed to create KeyManager"));
        Assert.That(() => ClientTlsContext.Create(good with { Protocol = "TLSv9" }, []),
            Throws.TypeOf<TlsSetupException>().With.Message.EqualTo("TLSv9 SSLContext not available"));
        Assert.That(() => ClientTlsContext.Create(good with { EnabledProtocols = "TLSv1.2, TLSv1.3" }, []),
            Throws.TypeOf<TlsSetupException>().With.Message.EqualTo("Unsupported protocol:  TLSv1.3"), "Java does not trim the list");
        Assert.That(() => ClientTlsContext.Create(good with { EnabledProtocols = "TLSv1.1" }, []),
            Throws.TypeOf<TlsSetupException>().With.Message.Contains("No appropriate protocol"));
        Assert.That(() => ClientTlsContext.Create(good with { CipherSuites = "TLS_NOPE" }, []),
            Throws.TypeOf<TlsSetupException>().With.Message.EqualTo("Unsupported CipherSuite: TLS_NOPE"));
        Assert.That(() => ClientTlsContext.Create(good with { ContextSupplierClass = "com.example.Ctx" }, []),
            Throws.TypeOf<TlsSetupException>().With.Message.Contains("context.supplier.class"));
    }

    [Test]
    public void A_pem_key_store_needs_its_password_when_the_key_is_encrypted()
    {
        using var pki = new TestPki();
        var ca = pki.CreateCa("CN=ca");
        var server = pki.IssueServer(ca);
        string plainKey = pki.WritePemKeyStore("plain.pem", server, null, ca);
        string encryptedKey = pki.WritePemKeyStore("enc.pem", server, "pw", ca);

        Assert.That(KeyStoreLoader.LoadKeyStore(plainKey, "", null, "t").Certificate.HasPrivateKey, Is.True);
        var material = KeyStoreLoader.LoadKeyStore(encryptedKey, "pw", null, "t");
        Assert.That(material.Certificate.Thumbprint, Is.EqualTo(server.Certificate.Thumbprint));
        Assert.That(material.Chain, Has.Count.EqualTo(1));
        Assert.That(() => KeyStoreLoader.LoadKeyStore(encryptedKey, "", null, "t"), Throws.TypeOf<TlsSetupException>());
        Assert.That(KeyStoreLoader.LoadTrustStore(encryptedKey, "", null, "t"), Has.Count.EqualTo(2), "a PEM trust store is every certificate in it");
    }
}
