using ZkCompat.Client;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;
using ZkCompat.Server.Config;
using ZkCompat.Server.Tests.Protocol;

namespace ZkCompat.Server.Tests.Auth.Sasl;

/// <summary>
/// Whole exchanges over a socket against an in-process server, driven by <see cref="DigestMd5TestClient"/>
/// exactly as Java's ZooKeeperSaslClient drives them: an empty first token, then the digest-response.
/// </summary>
public class SaslExchangeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly IReadOnlyList<ACL> BobOnly = [new ACL((int)Perms.All, new Id("sasl", "bob"))];

    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("zkcompat-sasl-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private InProcessServer StartServer(string extraCfg = "", Dictionary<string, string>? properties = null, bool jaas = true)
    {
        string path = Path.Combine(_dir, "jaas.conf");
        File.WriteAllText(path, """
            Server {
                org.apache.zookeeper.server.auth.DigestLoginModule required
                user_super="adminsecret"
                user_bob="bobsecret";
            };
            """);
        var props = new Dictionary<string, string>(properties ?? []);
        if (jaas) props["java.security.auth.login.config"] = path;
        var options = ConfigLoader.Parse(
            "tickTime=2000\ndataDir=" + _dir + "\nauthProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n" + extraCfg,
            props, configDirectory: null);
        return InProcessServer.Start(options);
    }

    private static async Task<RawReply> SaslAsync(ZooKeeperClient client, byte[] token) =>
        await client.SendRawAsync(OpCode.Sasl, new GetSASLRequest(token)).WaitAsync(Timeout);

    private static byte[]? TokenOf(RawReply reply)
    {
        var reader = new JuteReader(reply.Body, JuteLimits.Default);
        return SetSASLResponse.Deserialize(ref reader).Token;
    }

    /// <summary>Both rounds; returns the final reply.</summary>
    private static async Task<RawReply> AuthenticateAsync(ZooKeeperClient client, string user, string password)
    {
        var sasl = new DigestMd5TestClient(user, password);
        var challenge = await SaslAsync(client, DigestMd5TestClient.InitialResponse);
        Assert.That((challenge.Header.Err, challenge.Header.Zxid), Is.EqualTo((0, 0L)));
        var final = await SaslAsync(client, sasl.EvaluateChallenge(TokenOf(challenge)!));
        if (final.Header.Err == 0 && TokenOf(final) is { } rspauth)
        {
            sasl.EvaluateChallenge(rspauth);
            Assert.That(sasl.Complete, Is.True, "the server's rspauth checks out");
        }
        return final;
    }

    [Test]
    public async Task Digest_md5_authenticates_the_session_as_sasl_user_and_sasl_acls_apply()
    {
        await using var server = StartServer();
        await using var bob = await server.ConnectAsync();
        var final = await AuthenticateAsync(bob, "bob", "bobsecret");
        Assert.That((final.Header.Err, final.Header.Zxid), Is.EqualTo((0, 0L)));

        var who = await bob.WhoAmIAsync();
        Assert.That(who.Select(c => (c.AuthScheme, c.User)), Is.EqualTo(new[] { ("ip", "127.0.0.1"), ("sasl", "bob") }));
        await bob.CreateAsync("/secret", "hi"u8.ToArray(), BobOnly);
        Assert.That((await bob.GetDataAsync("/secret")).Data, Is.EqualTo("hi"u8.ToArray()));
        Assert.That((await bob.GetAclAsync("/secret")).Acl, Is.EqualTo(BobOnly));

        await using var anonymous = await server.ConnectAsync();
        var e = Assert.ThrowsAsync<KeeperException>(() => anonymous.GetDataAsync("/secret"));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.NoAuth));

        // An "auth" ACL expands to the session's sasl id.
        await bob.CreateAsync("/mine", null, [new ACL((int)Perms.All, new Id("auth", ""))]);
        Assert.That((await bob.GetAclAsync("/mine")).Acl, Is.EqualTo(BobOnly));
    }

    [Test]
    public async Task A_wrong_password_gets_authfailed_with_a_null_token_and_the_connection_closes()
    {
        await using var server = StartServer();
        await using var client = await server.ConnectAsync();
        var final = await AuthenticateAsync(client, "bob", "wrong");
        Assert.That((final.Header.Err, final.Header.Zxid), Is.EqualTo(((int)ErrorCode.AuthFailed, 0L)));
        Assert.That(final.Body.ToArray(), Is.EqualTo(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }), "SetSASLResponse(null)");
        await client.Completion.WaitAsync(Timeout);
    }

    [Test]
    public async Task With_failed_clients_allowed_a_wrong_password_leaves_an_unauthenticated_session()
    {
        await using var server = StartServer(properties: new() { ["zookeeper.allowSaslFailedClients"] = "true" });
        await using var client = await server.ConnectAsync();
        var final = await AuthenticateAsync(client, "bob", "wrong");
        Assert.That(final.Header.Err, Is.EqualTo(0));
        Assert.That(TokenOf(final), Is.Null);
        var who = await client.WhoAmIAsync();
        Assert.That(who.Select(c => c.AuthScheme), Is.EqualTo(new[] { "ip" }));
    }

    [Test]
    public async Task Super_users_by_property_get_super_and_see_everything()
    {
        await using var server = StartServer(properties: new() { ["zookeeper.superUser"] = "super" });
        await using var bob = await server.ConnectAsync();
        await AuthenticateAsync(bob, "bob", "bobsecret");
        await bob.CreateAsync("/secret", "hi"u8.ToArray(), BobOnly);
        await using var admin = await server.ConnectAsync();
        await AuthenticateAsync(admin, "super", "adminsecret");
        Assert.That((await admin.WhoAmIAsync()).Select(c => (c.AuthScheme, c.User)),
            Is.EqualTo(new[] { ("ip", "127.0.0.1"), ("sasl", "super"), ("super", "") }));
        Assert.That((await admin.GetDataAsync("/secret")).Data, Is.EqualTo("hi"u8.ToArray()));
    }

    [Test]
    public async Task Required_sasl_closes_unauthenticated_sessions_on_their_first_request()
    {
        await using var server = StartServer("sessionRequireClientSASLAuth=true\n");
        await using var anonymous = await server.ConnectAsync();
        var reply = await anonymous.SendRawAsync(OpCode.Exists, new ExistsRequest("/", false), xid: 7).WaitAsync(Timeout);
        Assert.That((reply.Header.Xid, reply.Header.Zxid, reply.Header.Err), Is.EqualTo((7, 0L, (int)ErrorCode.SessionClosedRequireSaslAuth)));
        Assert.That(reply.Body.Length, Is.Zero);
        await anonymous.Completion.WaitAsync(Timeout);

        await using var bob = await server.ConnectAsync();
        await AuthenticateAsync(bob, "bob", "bobsecret");
        Assert.That(await bob.ExistsAsync("/"), Is.Not.Null);

        // With SASL required, a failed exchange says so instead of AUTHFAILED.
        await using var wrong = await server.ConnectAsync();
        var final = await AuthenticateAsync(wrong, "bob", "wrong");
        Assert.That(final.Header.Err, Is.EqualTo((int)ErrorCode.SessionClosedRequireSaslAuth));
        await wrong.Completion.WaitAsync(Timeout);
    }

    [Test]
    public async Task Without_a_jaas_server_section_sasl_gets_an_empty_ok_answer()
    {
        await using var server = StartServer(jaas: false);
        await using var client = await server.ConnectAsync();
        var reply = await SaslAsync(client, []);
        Assert.That(reply.Header.Err, Is.EqualTo(0));
        Assert.That(reply.Body.ToArray(), Is.EqualTo(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }));
        Assert.That(await client.ExistsAsync("/"), Is.Not.Null);
    }

    [Test]
    public async Task Addauth_with_the_sasl_scheme_fails()
    {
        await using var server = StartServer();
        await using var client = await server.ConnectAsync();
        var e = Assert.ThrowsAsync<KeeperException>(() => client.AddAuthAsync("sasl", "bob"u8.ToArray()));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.AuthFailed));
    }
}
