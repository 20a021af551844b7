using System.Security.Authentication;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Network.Tls;

namespace ZkCompat.Server.Tests.Tls;

/// <summary>
/// client.certReload: the secure port picks up rewritten key and trust stores for new connections
/// (Java's FileChangeWatcher + X509Util reset); open sessions keep theirs.
/// </summary>
public class CertificateReloadTests
{
    private static Task<ClientTlsContext> NextReloadAsync(SecureServer server)
    {
        var reloaded = new TaskCompletionSource<ClientTlsContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Contexts.Reloaded += context => reloaded.TrySetResult(context);
        return reloaded.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Test]
    public async Task A_rewritten_key_store_serves_new_connections_with_the_new_certificate()
    {
        using var pki = new TestPki();
        var ca = pki.CreateCa("CN=ca");
        var first = pki.IssueServer(ca, "CN=localhost, OU=first");
        var second = pki.IssueServer(ca, "CN=localhost, OU=second");
        var alice = pki.IssueClient(ca, "CN=alice");
        string keyStore = pki.WritePkcs12KeyStore("server.p12", first, ca);
        await using var server = SecureServer.Start(new Dictionary<string, string>
        {
            ["zookeeper.ssl.keyStore.location"] = keyStore,
            ["zookeeper.ssl.keyStore.password"] = TestPki.Password,
            ["zookeeper.ssl.trustStore.location"] = pki.WritePkcs12TrustStore("trust.p12", ca),
            ["zookeeper.ssl.trustStore.password"] = TestPki.Password,
            ["zookeeper.client.certReload"] = "true",
            [SecureServer.X509Provider.Key] = SecureServer.X509Provider.Value,
        });
        await using var before = await TlsTestClient.ConnectAsync(server.SecurePort, ca.Certificate, alice.Certificate);
        Assert.That(before.ServerCertificate!.Subject, Is.EqualTo(first.Subject));

        var reload = NextReloadAsync(server);
        // Rewritten in place, as an operator's copy would: events for a half-written file may come first.
        string staged = pki.WritePkcs12KeyStore("staged.p12", second, ca);
        await File.WriteAllBytesAsync(keyStore, await File.ReadAllBytesAsync(staged));
        var context = await reload;
        // A half-written file may have been read by an earlier event; the last event sees the whole file.
        while (context.Key!.Certificate.Thumbprint != second.Certificate.Thumbprint) context = await NextReloadAsync(server);

        await using var after = await TlsTestClient.ConnectAsync(server.SecurePort, ca.Certificate, alice.Certificate);
        Assert.That(after.ServerCertificate!.Subject, Is.EqualTo(second.Subject));
        Assert.That(await before.WhoAmIAsync(), Has.Count.EqualTo(2), "the open session is untouched");
    }

    [Test]
    public async Task A_trust_store_moved_into_place_changes_who_passes_the_handshake()
    {
        using var pki = new TestPki();
        var oldCa = pki.CreateCa("CN=old ca");
        var newCa = pki.CreateCa("CN=new ca");
        var serverCert = pki.IssueServer(oldCa);
        var oldClient = pki.IssueClient(oldCa, "CN=old client");
        var newClient = pki.IssueClient(newCa, "CN=new client");
        string trustStore = pki.WritePemTrustStore("trust.pem", oldCa);
        await using var server = SecureServer.Start(new Dictionary<string, string>
        {
            ["zookeeper.ssl.keyStore.location"] = pki.WritePkcs12KeyStore("server.p12", serverCert, oldCa),
            ["zookeeper.ssl.keyStore.password"] = TestPki.Password,
            ["zookeeper.ssl.trustStore.location"] = trustStore,
            ["zookeeper.client.certReload"] = "true",
            [SecureServer.X509Provider.Key] = SecureServer.X509Provider.Value,
        });
        await using (var client = await TlsTestClient.ConnectAsync(server.SecurePort, oldCa.Certificate, oldClient.Certificate))
            Assert.That(await client.WhoAmIAsync(), Does.Contain(new ClientInfo("x509", "CN=old client")));

        var reload = NextReloadAsync(server);
        File.Move(pki.WritePemTrustStore("trust.pem.new", newCa), trustStore, overwrite: true);
        await reload;

        Assert.That(async () => await TlsTestClient.ConnectAsync(server.SecurePort, oldCa.Certificate, oldClient.Certificate),
            Throws.InstanceOf<AuthenticationException>().Or.InstanceOf<IOException>(), "the old CA is no longer trusted by the handshake");
        // Java's X509AuthenticationProvider read the trust store once, at startup, and keeps it: the new
        // CA passes the handshake, then the provider refuses the certificate and the connection closes.
        Assert.That(async () => await TlsTestClient.ConnectAsync(server.SecurePort, oldCa.Certificate, newClient.Certificate),
            Throws.InstanceOf<IOException>());
        Assert.That(await server.Logs.WaitForAsync("Authentication failed"), Does.Contain("Failed to trust certificate"));
    }

    [Test]
    public async Task A_store_that_cannot_be_read_keeps_the_previous_one()
    {
        using var pki = new TestPki();
        var ca = pki.CreateCa("CN=ca");
        var serverCert = pki.IssueServer(ca);
        var alice = pki.IssueClient(ca, "CN=alice");
        string keyStore = pki.WritePkcs12KeyStore("server.p12", serverCert, ca);
        await using var server = SecureServer.Start(new Dictionary<string, string>
        {
            ["zookeeper.ssl.keyStore.location"] = keyStore,
            ["zookeeper.ssl.keyStore.password"] = TestPki.Password,
            ["zookeeper.ssl.trustStore.location"] = pki.WritePkcs12TrustStore("trust.p12", ca),
            ["zookeeper.ssl.trustStore.password"] = TestPki.Password,
            ["zookeeper.client.certReload"] = "true",
            [SecureServer.X509Provider.Key] = SecureServer.X509Provider.Value,
        });
        Assert.That(server.Contexts.Current, Is.Not.Null);
        var failed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Contexts.ReloadFailed += reason => failed.TrySetResult(reason);

        await File.WriteAllTextAsync(keyStore, "not a key store");
        Assert.That(await failed.Task.WaitAsync(TimeSpan.FromSeconds(20)), Does.StartWith("Failed to create KeyManager"));

        await using var client = await TlsTestClient.ConnectAsync(server.SecurePort, ca.Certificate, alice.Certificate);
        Assert.That(client.ServerCertificate!.Thumbprint, Is.EqualTo(serverCert.Certificate.Thumbprint));
    }
}
