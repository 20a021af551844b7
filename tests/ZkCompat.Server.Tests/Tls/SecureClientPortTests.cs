using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Tests.Tls;

/// <summary>The secure client port end to end: handshake, client auth modes, x509 ids and ACLs, refusals.</summary>
public class SecureClientPortTests
{
    private static readonly List<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];
    private static readonly List<ACL> CreatorAll = [new ACL((int)Perms.All, new Id("auth", ""))];

    private TestPki _pki = null!;
    private IssuedCertificate _ca = null!;
    private IssuedCertificate _serverCert = null!;
    private IssuedCertificate _alice = null!;
    private IssuedCertificate _bob = null!;
    private IssuedCertificate _mallory = null!;

    [OneTimeSetUp]
    public void CreatePki()
    {
        _pki = new TestPki();
        _ca = _pki.CreateCa("CN=ZkCompat Test CA, O=ZkCompat");
        _serverCert = _pki.IssueServer(_ca);
        _alice = _pki.IssueClient(_ca, "CN=alice, OU=Clients, O=ZkCompat");
        _bob = _pki.IssueClient(_ca, "CN=bob");
        var otherCa = _pki.CreateCa("CN=Someone Else's CA");
        _mallory = _pki.IssueClient(otherCa, "CN=alice, OU=Clients, O=ZkCompat");
    }

    // The PKI owns every certificate it issued.
    [OneTimeTearDown]
    public void DeletePki()
    {
        _ca.Dispose();
        _serverCert.Dispose();
        _alice.Dispose();
        _bob.Dispose();
        _mallory.Dispose();
        _pki.Dispose();
    }

    private Dictionary<string, string> Pkcs12Settings(string name, string? clientAuth = null, bool x509 = true)
    {
        var p = new Dictionary<string, string>
        {
            ["zookeeper.ssl.keyStore.location"] = _pki.WritePkcs12KeyStore(name + "-key.p12", _serverCert, _ca),
            ["zookeeper.ssl.keyStore.password"] = TestPki.Password,
            ["zookeeper.ssl.trustStore.location"] = _pki.WritePkcs12TrustStore(name + "-trust.p12", _ca),
            ["zookeeper.ssl.trustStore.password"] = TestPki.Password,
        };
        if (clientAuth is not null) p["zookeeper.ssl.clientAuth"] = clientAuth;
        if (x509) p[SecureServer.X509Provider.Key] = SecureServer.X509Provider.Value;
        return p;
    }

    [Test]
    public async Task A_trusted_client_certificate_becomes_the_x509_id()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("need"));
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);

        Assert.That(alice.ServerCertificate!.Subject, Is.EqualTo(_serverCert.Subject));
        Assert.That(alice.Protocol, Is.EqualTo(SslProtocols.Tls12), "Java's default: ssl.protocol TLSv1.2 is the only enabled protocol");
        var ids = await alice.WhoAmIAsync();
        Assert.That(ids, Is.EquivalentTo(new[] { new ClientInfo("ip", "127.0.0.1"), new ClientInfo("x509", "CN=alice,OU=Clients,O=ZkCompat") }));
        Assert.That(await server.Logs.WaitForAsync("Authenticated Id 'CN=alice,OU=Clients,O=ZkCompat' for Scheme 'x509'"), Is.Not.Empty);
    }

    [Test]
    public async Task X509_acls_admit_only_their_certificate()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("acl"));
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);
        await using var bob = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _bob.Certificate);

        Assert.That(await alice.CreateAsync("/alice", Encoding.UTF8.GetBytes("mine"), CreatorAll), Is.EqualTo(ErrorCode.Ok));
        Assert.That(await alice.GetAclAsync("/alice"),
            Is.EqualTo(new[] { new ACL((int)Perms.All, new Id("x509", "CN=alice,OU=Clients,O=ZkCompat")) }), "auth expands to the x509 id only (ip is not authenticated)");
        Assert.That((await alice.GetDataAsync("/alice")).Data, Is.EqualTo(Encoding.UTF8.GetBytes("mine")));
        Assert.That((await bob.GetDataAsync("/alice")).Error, Is.EqualTo(ErrorCode.NoAuth));

        var bobOnly = new List<ACL> { new((int)Perms.Read, new Id("x509", "CN=bob")) };
        Assert.That(await alice.CreateAsync("/bob", [1], bobOnly), Is.EqualTo(ErrorCode.Ok));
        Assert.That((await bob.GetDataAsync("/bob")).Error, Is.EqualTo(ErrorCode.Ok));
        Assert.That((await alice.GetDataAsync("/bob")).Error, Is.EqualTo(ErrorCode.NoAuth));

        await using var plain = await server.ConnectPlainAsync();
        Assert.That(async () => await plain.GetDataAsync("/alice"), Throws.TypeOf<KeeperException>().With.Property("Code").EqualTo(ErrorCode.NoAuth));
        var invalid = new List<ACL> { new((int)Perms.All, new Id("x509", "CN=a,")) };
        Assert.That(await alice.CreateAsync("/invalid", [], invalid), Is.EqualTo(ErrorCode.InvalidAcl), "not a name X500Principal accepts");
    }

    [Test]
    public async Task The_super_user_certificate_is_super()
    {
        var settings = Pkcs12Settings("super");
        settings["zookeeper.X509AuthenticationProvider.superUser"] = "CN=bob";
        await using var server = SecureServer.Start(settings);
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);
        await using var bob = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _bob.Certificate);

        Assert.That(await alice.CreateAsync("/private", [7], CreatorAll), Is.EqualTo(ErrorCode.Ok));
        Assert.That((await bob.GetDataAsync("/private")).Error, Is.EqualTo(ErrorCode.Ok));
        Assert.That(await bob.WhoAmIAsync(), Does.Contain(new ClientInfo("super", "")), "no provider for super: an empty user, as Java's AuthUtil");
    }

    [Test]
    public async Task A_plaintext_client_is_closed_and_logged_and_others_carry_on()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("plain"));
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);

        // The stock client's ConnectRequest, in clear text, on the secure port.
        Assert.That(async () => await ZooKeeperClient.ConnectAsync($"127.0.0.1:{server.SecurePort}"),
            Throws.TypeOf<KeeperException>().With.Property("Code").EqualTo(ErrorCode.ConnectionLoss));
        Assert.That(await server.Logs.WaitForAsync("not a TLS connection (first byte 0x00)"), Does.Contain("Unsuccessful handshake"));

        // A four-letter word is plaintext too.
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync("127.0.0.1", server.SecurePort);
            await socket.SendAsync("ruok"u8.ToArray());
            Assert.That(await ClosedWithoutAnswerAsync(socket), Is.True);
        }

        Assert.That(await alice.WhoAmIAsync(), Has.Count.EqualTo(2), "the TLS session is untouched");
    }

    // End of stream or a reset (the server closed with our bytes unread): either way, no answer.
    private static async Task<bool> ClosedWithoutAnswerAsync(Socket socket)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[16]) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    [Test]
    public async Task A_certificate_from_an_untrusted_ca_fails_the_handshake()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("untrusted"));
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);

        Assert.That(async () => await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _mallory.Certificate),
            Throws.InstanceOf<AuthenticationException>().Or.InstanceOf<IOException>());
        Assert.That(await server.Logs.WaitForAsync("Unsuccessful handshake"), Is.Not.Empty);
        Assert.That(await alice.WhoAmIAsync(), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Need_refuses_a_client_without_a_certificate()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("need-none", "need"));
        Assert.That(async () => await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, null),
            Throws.InstanceOf<AuthenticationException>().Or.InstanceOf<IOException>());
    }

    [Test]
    public async Task Want_admits_a_client_without_a_certificate_with_only_its_ip()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("want", "want"));
        await using var anonymous = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, null);
        Assert.That(await anonymous.WhoAmIAsync(), Is.EqualTo(new[] { new ClientInfo("ip", "127.0.0.1") }));
        await using var bob = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _bob.Certificate);
        Assert.That(await bob.WhoAmIAsync(), Does.Contain(new ClientInfo("x509", "CN=bob")));
        Assert.That(async () => await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _mallory.Certificate),
            Throws.InstanceOf<AuthenticationException>().Or.InstanceOf<IOException>(), "a certificate that is sent must be trusted");
    }

    [Test]
    public async Task None_asks_for_no_certificate()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("none", "NONE", x509: false));
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);
        Assert.That(await alice.WhoAmIAsync(), Is.EqualTo(new[] { new ClientInfo("ip", "127.0.0.1") }));
        await using var mallory = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _mallory.Certificate);
        Assert.That(await mallory.WhoAmIAsync(), Has.Count.EqualTo(1), "not asked, so not checked");
    }

    [Test]
    public async Task Without_the_x509_provider_a_certificate_client_is_closed()
    {
        // Java: "X509 Auth provider not found: x509" closes every connection that presents a certificate.
        await using var server = SecureServer.Start(Pkcs12Settings("noprovider", x509: false));
        Assert.That(async () => await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate),
            Throws.InstanceOf<IOException>());
        Assert.That(await server.Logs.WaitForAsync("X509 Auth provider not found: x509"), Is.Not.Empty);
    }

    [Test]
    public async Task X509_addauth_uses_the_connection_certificate()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("addauth"));
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);
        Assert.That(await alice.AddAuthAsync("x509", []), Is.EqualTo(ErrorCode.Ok));
        Assert.That(await alice.WhoAmIAsync(), Has.Count.EqualTo(2), "the id was there already");

        await using var plain = await server.ConnectPlainAsync();
        Assert.That(async () => await plain.AddAuthAsync("x509", []), Throws.TypeOf<KeeperException>().With.Property("Code").EqualTo(ErrorCode.AuthFailed));
    }

    [Test]
    public async Task Pem_key_and_trust_stores_work_like_pkcs12()
    {
        var settings = new Dictionary<string, string>
        {
            ["zookeeper.ssl.keyStore.location"] = _pki.WritePemKeyStore("server.pem", _serverCert, TestPki.Password, _ca),
            ["zookeeper.ssl.keyStore.password"] = TestPki.Password,
            ["zookeeper.ssl.trustStore.location"] = _pki.WritePemTrustStore("trust.pem", _ca),
            [SecureServer.X509Provider.Key] = SecureServer.X509Provider.Value,
        };
        await using var server = SecureServer.Start(settings);
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);
        Assert.That(alice.ServerCertificate!.Thumbprint, Is.EqualTo(_serverCert.Certificate.Thumbprint));
        Assert.That(await alice.WhoAmIAsync(), Does.Contain(new ClientInfo("x509", "CN=alice,OU=Clients,O=ZkCompat")));
    }

    [Test]
    public async Task Four_letter_words_work_over_tls()
    {
        var settings = Pkcs12Settings("4lw");
        settings["zookeeper.4lw.commands.whitelist"] = "ruok";
        await using var server = SecureServer.Start(settings);
        await using var ssl = await TlsTestClient.HandshakeAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);
        await ssl.WriteAsync("ruok"u8.ToArray());
        var buffer = new byte[4];
        await ssl.ReadExactlyAsync(buffer);
        Assert.That(Encoding.ASCII.GetString(buffer), Is.EqualTo("imok"));
    }

    [Test]
    public async Task Enabled_protocols_decide_what_can_be_negotiated()
    {
        await using (var server = SecureServer.Start(Pkcs12Settings("tls12")))
        {
            Assert.That(async () => await TlsTestClient.HandshakeAsync(server.SecurePort, _ca.Certificate, _alice.Certificate, SslProtocols.Tls13),
                Throws.InstanceOf<AuthenticationException>().Or.InstanceOf<IOException>(), "only TLSv1.2 by default");
        }
        var settings = Pkcs12Settings("tls13");
        settings["zookeeper.ssl.enabledProtocols"] = "TLSv1.3";
        settings["zookeeper.ssl.ciphersuites"] = "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384";
        await using (var server = SecureServer.Start(settings))
        {
            await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);
            Assert.That(alice.Protocol, Is.EqualTo(SslProtocols.Tls13));
            Assert.That(await alice.WhoAmIAsync(), Has.Count.EqualTo(2));
        }
    }

    [Test]
    public async Task A_broken_setting_fails_connections_not_the_server()
    {
        var settings = Pkcs12Settings("badauth");
        settings["zookeeper.ssl.clientAuth"] = "sometimes";
        await using var server = SecureServer.Start(settings);
        Assert.That(async () => await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate),
            Throws.InstanceOf<IOException>().Or.InstanceOf<AuthenticationException>());
        Assert.That(await server.Logs.WaitForAsync("No enum constant org.apache.zookeeper.common.X509Util.ClientAuth.SOMETIMES"), Is.Not.Empty);
        await using var plain = await server.ConnectPlainAsync();
        Assert.That(await plain.ExistsAsync("/"), Is.Not.Null);
    }

    [Test]
    public async Task Both_ports_connections_are_listed_by_the_server()
    {
        await using var server = SecureServer.Start(Pkcs12Settings("cons"));
        await using var alice = await TlsTestClient.ConnectAsync(server.SecurePort, _ca.Certificate, _alice.Certificate);
        await using var plain = await server.ConnectPlainAsync();
        Assert.That(server.Server.Connections.Select(c => c.SessionId), Is.EquivalentTo(new[] { alice.SessionId, plain.SessionId }));
    }
}
