using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Auth;
using ZkCompat.Server.Auth.Sasl;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Tests.Auth.Sasl;

public class SaslAuthenticationTests
{
    private static readonly EndPoint Remote = new IPEndPoint(IPAddress.Loopback, 4000);
    private static readonly Id Ip = new("ip", "127.0.0.1");

    private static SaslLogin Login() =>
        new("Server", SaslLogin.DigestMechanism, new SaslServerCallbackHandler(new Dictionary<string, string> { ["bob"] = "bobsecret" }));

    private static SaslOutcome Step(SaslAuthentication sasl, ISaslServer? server, byte[]? token, IReadOnlyList<Id> ids) =>
        sasl.ProcessSasl(server, token, ids, 0x100, Remote, NullLogger.Instance);

    /// <summary>Runs the whole exchange; returns the last outcome.</summary>
    private static SaslOutcome Exchange(SaslAuthentication sasl, string user, string password)
    {
        var server = sasl.CreateSaslServer();
        var client = new DigestMd5TestClient(user, password);
        var first = Step(sasl, server, DigestMd5TestClient.InitialResponse, [Ip]);
        Assert.That(first.Err, Is.EqualTo(ErrorCode.Ok));
        return Step(sasl, server, client.EvaluateChallenge(first.Token!), first.AuthInfo);
    }

    [Test]
    public void Success_adds_the_sasl_id_and_answers_rspauth()
    {
        var sasl = new SaslAuthentication(Login(), AuthenticationHelper.None, false);
        var outcome = Exchange(sasl, "bob", "bobsecret");
        Assert.That(outcome.Err, Is.EqualTo(ErrorCode.Ok));
        Assert.That(outcome.Close, Is.False);
        Assert.That(Encoding.ASCII.GetString(outcome.Token!), Does.StartWith("rspauth="));
        Assert.That(outcome.AuthInfo, Is.EqualTo(new[] { Ip, new Id("sasl", "bob") }));
    }

    [Test]
    public void A_super_user_also_gets_super()
    {
        var sasl = new SaslAuthentication(Login(), AuthenticationHelper.None, false, ["alice", "bob"]);
        Assert.That(Exchange(sasl, "bob", "bobsecret").AuthInfo, Is.EqualTo(new[] { Ip, new Id("sasl", "bob"), new Id("super", "") }));
    }

    [Test]
    public void Failure_answers_authfailed_with_a_null_token_and_closes()
    {
        var sasl = new SaslAuthentication(Login(), AuthenticationHelper.None, false);
        var outcome = Exchange(sasl, "bob", "wrong");
        Assert.That(outcome, Is.EqualTo(new SaslOutcome(ErrorCode.AuthFailed, null, true, outcome.AuthInfo)));
        Assert.That(outcome.AuthInfo, Is.EqualTo(new[] { Ip }));
    }

    [Test]
    public void Allowed_failed_clients_get_ok_with_no_token_and_stay()
    {
        var sasl = new SaslAuthentication(Login(), AuthenticationHelper.None, allowSaslFailedClients: true);
        var outcome = Exchange(sasl, "bob", "wrong");
        Assert.That((outcome.Err, outcome.Token, outcome.Close), Is.EqualTo((ErrorCode.Ok, (byte[]?)null, false)));
    }

    [Test]
    public void When_sasl_is_required_failure_closes_with_session_closed_require_sasl_auth_even_if_failures_are_allowed()
    {
        var sasl = new SaslAuthentication(Login(), new AuthenticationHelper(true, ["sasl"]), allowSaslFailedClients: true);
        var outcome = Exchange(sasl, "bob", "wrong");
        Assert.That((outcome.Err, outcome.Close), Is.EqualTo((ErrorCode.SessionClosedRequireSaslAuth, true)));
    }

    [Test]
    public void Without_a_login_the_answer_is_ok_with_a_null_token()
    {
        var sasl = new SaslAuthentication(null, AuthenticationHelper.None, false);
        Assert.That(sasl.CreateSaslServer(), Is.Null);
        var outcome = Step(sasl, null, [], [Ip]);
        Assert.That((outcome.Err, outcome.Token, outcome.Close), Is.EqualTo((ErrorCode.Ok, (byte[]?)null, false)));
    }

    [Test]
    public void A_null_token_or_unparsable_input_drops_the_connection_without_a_reply()
    {
        var sasl = new SaslAuthentication(Login(), AuthenticationHelper.None, true);
        var nullToken = Step(sasl, sasl.CreateSaslServer(), null, [Ip]);
        Assert.That((nullToken.Err, nullToken.Token, nullToken.Close), Is.EqualTo(((ErrorCode?)null, (byte[]?)null, true)));

        var server = sasl.CreateSaslServer();
        Step(sasl, server, [], [Ip]);
        var outcome = Step(sasl, server, "maxbuf=x"u8.ToArray(), [Ip]);
        Assert.That((outcome.Err, outcome.Close), Is.EqualTo(((ErrorCode?)null, true)));
    }

    [Test]
    public void Gssapi_logins_fail_every_exchange()
    {
        var login = new SaslLogin("Server", SaslLogin.GssapiMechanism, new SaslServerCallbackHandler(new Dictionary<string, string>()));
        var sasl = new SaslAuthentication(login, AuthenticationHelper.None, false);
        var server = sasl.CreateSaslServer()!;
        Assert.That(server.MechanismName, Is.EqualTo("GSSAPI"));
        Assert.That(Assert.Throws<SaslException>(() => server.EvaluateResponse([1, 2]))!.Message, Does.Contain("GSSAPI (Kerberos) is not supported"));
        Assert.That(Step(sasl, server, [1, 2], [Ip]).Err, Is.EqualTo(ErrorCode.AuthFailed));
    }

    [Test]
    public void Enforcement_accepts_a_connection_holding_an_id_of_a_listed_scheme()
    {
        var helper = new AuthenticationHelper(true, ["sasl", "digest"]);
        Assert.That(helper.IsAuthenticated([Ip]), Is.False);
        Assert.That(helper.IsAuthenticated([Ip, new Id("digest", "a:b")]), Is.True);
        Assert.That(helper.IsAuthenticated([new Id("sasl", "bob")]), Is.True);
        Assert.That(helper.IsSaslAuthRequired, Is.True);
        Assert.That(new AuthenticationHelper(true, ["digest"]).IsSaslAuthRequired, Is.False);
        Assert.That(AuthenticationHelper.None.IsAuthenticated([]), Is.True);
    }

    [Test]
    public void Enforcement_validation_messages_are_javas()
    {
        Assert.That(new AuthenticationHelper(true, []).Validate(_ => true),
            Is.EqualTo("zookeeper.enforce.auth.enabled is true zookeeper.enforce.auth.schemes must be  configured."));
        Assert.That(new AuthenticationHelper(true, ["ip", "sasl"]).Validate(s => s == "ip"), Is.EqualTo("Authentication scheme sasl is not available."));
        Assert.That(new AuthenticationHelper(false, []).Validate(_ => false), Is.Null);
    }

    [Test]
    public void The_sasl_scheme_matches_equal_ids_super_and_the_let_any_user_expression()
    {
        var provider = new SaslAuthenticationProvider();
        Assert.That(provider.Matches("bob", "bob"), Is.True);
        Assert.That(provider.Matches("super", "bob"), Is.True);
        Assert.That(provider.Matches("alice", "bob"), Is.False);
        var anyone = new SaslAuthenticationProvider("everyone");
        Assert.That(anyone.Matches("alice", "everyone"), Is.True);
        Assert.That(anyone.Matches("alice", "bob"), Is.False);
        Assert.That(provider.HandleAuthentication("x"u8, new List<Id>(), Remote), Is.EqualTo(ErrorCode.AuthFailed));
        Assert.That(provider.IsAuthenticated, Is.True);
    }

    [TestCase("bob", true)]
    [TestCase("bob/host", true)]
    [TestCase("bob@EXAMPLE.COM", true)]
    [TestCase("bob/host@EXAMPLE.COM", true)]
    [TestCase("@", true)]
    [TestCase("a@b@c", false)]
    [TestCase("a/b/c@R", false)]
    [TestCase("a@R/x", false)]
    public void Sasl_acl_ids_are_valid_kerberos_names(string id, bool valid)
    {
        Assert.That(new SaslAuthenticationProvider().IsValid(id), Is.EqualTo(valid));
    }

    [Test]
    public void Sasl_acls_are_checked_through_the_provider_registry()
    {
        var options = new ServerOptions { AuthProviderClasses = new Dictionary<string, string> { ["1"] = SaslAuthenticationProvider.JavaClassName } };
        var providers = AuthenticationProviders.FromOptions(options);
        var acl = new List<ACL> { new((int)Perms.All, new Id("sasl", "bob")) };
        Assert.That(AclChecker.IsAllowed(providers, acl, Perms.Read, [Ip, new Id("sasl", "bob")], false), Is.True);
        Assert.That(AclChecker.IsAllowed(providers, acl, Perms.Read, [Ip, new Id("sasl", "alice")], false), Is.False);
        Assert.That(AclChecker.FixupAcl(providers, "/n", [Ip, new Id("sasl", "bob")], [new ACL((int)Perms.All, new Id("auth", ""))]),
            Is.EqualTo(acl));
        // Without the provider, the scheme is unknown: the ACL is invalid and the id never matches.
        var plain = AuthenticationProviders.FromOptions(new ServerOptions());
        Assert.That(AclChecker.IsAllowed(plain, acl, Perms.Read, [new Id("sasl", "bob")], false), Is.False);
        Assert.That(Assert.Throws<KeeperException>(() => AclChecker.FixupAcl(plain, "/n", [], acl))!.Code, Is.EqualTo(ErrorCode.InvalidAcl));
    }
}
