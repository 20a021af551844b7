using System.Text;
using ZkCompat.Server.Auth.Sasl;

namespace ZkCompat.Server.Tests.Auth.Sasl;

public class DigestMd5ServerTests
{
    private const string Nonce = "yGLzDeNqFTpSb3ZlxD3H1XcCkQkdHhl6J7Fjvwj4";

    private static DigestMd5Server NewServer(string? superPassword = null) =>
        new("zookeeper", "zk-sasl-md5",
            new SaslServerCallbackHandler(new Dictionary<string, string> { ["bob"] = "bobsecret", ["super"] = "superfile" }, superPassword),
            () => Encoding.ASCII.GetBytes(Nonce));

    private static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    [Test]
    public void First_step_sends_the_jdk_challenge_whatever_the_first_token()
    {
        Assert.That(Text(NewServer().EvaluateResponse([])),
            Is.EqualTo($"realm=\"zk-sasl-md5\",nonce=\"{Nonce}\",charset=utf-8,algorithm=md5-sess"));
        // A GSSAPI-style initial token is ignored, as the JDK does.
        Assert.That(Text(NewServer().EvaluateResponse([0x60, 0x82, 1, 2])), Does.StartWith("realm=\"zk-sasl-md5\""));
    }

    [Test]
    public void A_java_shaped_response_completes_with_rspauth_and_the_user_as_authorization_id()
    {
        var server = NewServer();
        var client = new DigestMd5TestClient("bob", "bobsecret") { Cnonce = "OA6MHXh6VqTrRk" };
        byte[] response = client.EvaluateChallenge(server.EvaluateResponse(DigestMd5TestClient.InitialResponse));
        Assert.That(server.IsComplete, Is.False);
        byte[] final = server.EvaluateResponse(response);
        Assert.That(server.IsComplete, Is.True);
        Assert.That(server.AuthorizationId, Is.EqualTo("bob"));
        Assert.That(Text(final), Does.Match("^rspauth=[0-9a-f]{32}$"));
        client.EvaluateChallenge(final);
        Assert.That(client.Complete, Is.True);
    }

    [Test]
    public void The_rfc_2831_example_exchange_gives_the_rfc_rspauth()
    {
        var server = new DigestMd5Server("imap", "elwood.innosoft.com",
            new SaslServerCallbackHandler(new Dictionary<string, string> { ["chris"] = "secret" }),
            () => "OA6MG9tEQGm2hh"u8.ToArray());
        Assert.That(Text(server.EvaluateResponse([])),
            Is.EqualTo("realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",charset=utf-8,algorithm=md5-sess"));
        byte[] final = server.EvaluateResponse(Encoding.ASCII.GetBytes(
            "charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\",nc=00000001," +
            "cnonce=\"OA6MHXh6VqTrRk\",digest-uri=\"imap/elwood.innosoft.com\",response=d388dad90d4bbd760a152321f2143af7,qop=auth"));
        Assert.That(Text(final), Is.EqualTo("rspauth=ea40f60335c427b5527b84dbabcdfffd"));
        Assert.That(server.AuthorizationId, Is.EqualTo("chris"));
    }

    [Test]
    public void Digest_uri_matches_ignoring_case_and_the_clients_spelling_is_used_after()
    {
        var server = NewServer();
        var client = new DigestMd5TestClient("bob", "bobsecret", digestUri: "ZooKeeper/ZK-SASL-MD5");
        byte[] final = server.EvaluateResponse(client.EvaluateChallenge(server.EvaluateResponse([])));
        client.EvaluateChallenge(final);
        Assert.That(client.Complete, Is.True);
        Assert.That(server.NegotiatedDigestUri, Is.EqualTo("ZooKeeper/ZK-SASL-MD5"));
    }

    [Test]
    public void Without_authzid_the_user_is_the_authorization_id()
    {
        var server = NewServer();
        var client = new DigestMd5TestClient("bob", "bobsecret", authzid: null);
        client.EvaluateChallenge(server.EvaluateResponse(client.EvaluateChallenge(server.EvaluateResponse([]))));
        Assert.That(client.Complete, Is.True);
        Assert.That(server.AuthorizationId, Is.EqualTo("bob"));
    }

    [Test]
    public void A_different_authzid_still_authorizes_as_the_authenticated_user()
    {
        var server = NewServer();
        var client = new DigestMd5TestClient("bob", "bobsecret", authzid: "alice");
        client.EvaluateChallenge(server.EvaluateResponse(client.EvaluateChallenge(server.EvaluateResponse([]))));
        Assert.That(server.AuthorizationId, Is.EqualTo("bob"));
    }

    [TestCase("bob", "wrong", "Mismatched response")]
    [TestCase("eve", "bobsecret", "cannot acquire password for eve in realm : zk-sasl-md5")]
    public void Wrong_password_or_unknown_user_fails(string user, string password, string message)
    {
        var server = NewServer();
        byte[] response = new DigestMd5TestClient(user, password).EvaluateChallenge(server.EvaluateResponse([]));
        var e = Assert.Throws<SaslException>(() => server.EvaluateResponse(response));
        Assert.That(e!.Message, Does.Contain(message));
        Assert.That(server.IsComplete, Is.False);
    }

    [Test]
    public void Super_password_property_replaces_the_super_users_file_password()
    {
        var server = NewServer(superPassword: "fromproperty");
        var client = new DigestMd5TestClient("super", "fromproperty");
        client.EvaluateChallenge(server.EvaluateResponse(client.EvaluateChallenge(server.EvaluateResponse([]))));
        Assert.That(server.AuthorizationId, Is.EqualTo("super"));

        var other = NewServer(superPassword: "fromproperty");
        byte[] fileResponse = new DigestMd5TestClient("super", "superfile").EvaluateChallenge(other.EvaluateResponse([]));
        Assert.Throws<SaslException>(() => other.EvaluateResponse(fileResponse));
    }

    // Each replaces one directive of a valid response (or adds one) and must fail the way the JDK does.
    [TestCase("realm=\"zk-sasl-md5\",", "realm=\"other\",", "Nonexistent realm: other")]
    [TestCase("realm=\"zk-sasl-md5\",", "", "Nonexistent realm: ")]
    [TestCase("nonce=\"" + Nonce + "\",", "nonce=\"abc\",", "Mismatched nonce")]
    [TestCase("nonce=\"" + Nonce + "\",", "", "Missing nonce")]
    [TestCase("qop=auth", "qop=auth-int", "server does not support  qop: auth-int")]
    [TestCase("qop=auth", "qop=auth-conf", "server does not support  qop: auth-conf")]
    [TestCase("qop=auth", "qop=bogus", "Invalid QOP: bogus")]
    [TestCase("digest-uri=\"zookeeper/zk-sasl-md5\",", "digest-uri=\"zookeeper/elsewhere\",", "Mismatched URI: zookeeper/elsewhere; expecting: zookeeper/zk-sasl-md5")]
    [TestCase("digest-uri=\"zookeeper/zk-sasl-md5\",", "", "Mismatched URI: null")]
    [TestCase("charset=utf-8,", "charset=UTF-8,", "Incompatible charset value: UTF-8")]
    [TestCase("maxbuf=65536,", "maxbuf=65536,nonce-count=00000002,", "Nonce count does not match: 00000002")]
    [TestCase("maxbuf=65536,", "maxbuf=65536,username=\"x\",", "more than one username")]
    public void Malformed_responses_fail(string find, string replace, string message)
    {
        var server = NewServer();
        string response = Text(new DigestMd5TestClient("bob", "bobsecret").EvaluateChallenge(server.EvaluateResponse([])));
        Assert.That(response, Does.Contain(find));
        var e = Assert.Throws<SaslException>(() => server.EvaluateResponse(Encoding.UTF8.GetBytes(response.Replace(find, replace, StringComparison.Ordinal))));
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void The_nc_directive_is_not_the_nonce_count_the_jdk_server_checks()
    {
        var server = NewServer();
        string response = Text(new DigestMd5TestClient("bob", "bobsecret").EvaluateChallenge(server.EvaluateResponse([])));
        // Java's server looks for "nonce-count", so a client's nc is never checked.
        server.EvaluateResponse(Encoding.UTF8.GetBytes(response.Replace("nc=00000001", "nc=00000009", StringComparison.Ordinal)));
        Assert.That(server.IsComplete, Is.True);
    }

    [TestCase("maxbuf=65536,", "maxbuf=lots,")]
    [TestCase("maxbuf=65536,", "maxbuf=65536,nonce-count=zz,")]
    public void Numbers_java_cannot_parse_drop_the_connection(string find, string replace)
    {
        var server = NewServer();
        string response = Text(new DigestMd5TestClient("bob", "bobsecret").EvaluateChallenge(server.EvaluateResponse([])));
        Assert.Throws<SaslProtocolException>(() => server.EvaluateResponse(Encoding.UTF8.GetBytes(response.Replace(find, replace, StringComparison.Ordinal))));
    }

    [Test]
    public void After_success_or_failure_every_further_token_is_refused()
    {
        var done = NewServer();
        var client = new DigestMd5TestClient("bob", "bobsecret");
        done.EvaluateResponse(client.EvaluateChallenge(done.EvaluateResponse([])));
        Assert.That(Assert.Throws<SaslException>(() => done.EvaluateResponse([]))!.Message, Is.EqualTo("DIGEST-MD5: Server at illegal state"));

        var failed = NewServer();
        byte[] wrong = new DigestMd5TestClient("bob", "nope").EvaluateChallenge(failed.EvaluateResponse([]));
        Assert.Throws<SaslException>(() => failed.EvaluateResponse(wrong));
        byte[] right = new DigestMd5TestClient("bob", "bobsecret").EvaluateChallenge(Encoding.ASCII.GetBytes($"realm=\"zk-sasl-md5\",nonce=\"{Nonce}\",algorithm=md5-sess"));
        Assert.That(Assert.Throws<SaslException>(() => failed.EvaluateResponse(right))!.Message, Is.EqualTo("DIGEST-MD5: Server at illegal state"));
    }

    [Test]
    public void Responses_over_4096_bytes_are_refused()
    {
        var server = NewServer();
        var e = Assert.Throws<SaslException>(() => server.EvaluateResponse(new byte[4097]));
        Assert.That(e!.Message, Does.Contain("Invalid digest response length. Got:  4097"));
        Assert.That(Text(server.EvaluateResponse(new byte[4096])), Does.StartWith("realm="));
    }

    [Test]
    public void A_name_java_cannot_parse_as_a_principal_drops_the_connection()
    {
        var server = new DigestMd5Server("zookeeper", "zk-sasl-md5",
            new SaslServerCallbackHandler(new Dictionary<string, string> { ["a@b@c"] = "pw" }), () => Encoding.ASCII.GetBytes(Nonce));
        byte[] response = new DigestMd5TestClient("a@b@c", "pw").EvaluateChallenge(server.EvaluateResponse([]));
        Assert.Throws<SaslProtocolException>(() => server.EvaluateResponse(response));
    }
}
