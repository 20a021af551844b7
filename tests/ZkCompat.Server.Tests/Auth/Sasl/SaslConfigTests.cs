using ZkCompat.Server.Auth;
using ZkCompat.Server.Auth.Sasl;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Tests.Auth.Sasl;

public class SaslConfigTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory() => _dir = Directory.CreateTempSubdirectory("zkcompat-sasl-config-").FullName;

    [TearDown]
    public void DeleteDirectory() => Directory.Delete(_dir, recursive: true);

    private string Jaas(string text)
    {
        string path = Path.Combine(_dir, "jaas.conf");
        File.WriteAllText(path, text);
        return path;
    }

    private static ServerOptions Parse(string cfg, Dictionary<string, string> properties) =>
        ConfigLoader.Parse("dataDir=/var/zk\n" + cfg, properties, configDirectory: null);

    [Test]
    public void Defaults_leave_sasl_off()
    {
        var o = Parse("", []);
        Assert.That((o.JaasConfigFile, o.JaasConfiguration, o.SaslServerSection), Is.EqualTo(((string?)null, (JaasConfiguration?)null, "Server")));
        Assert.That((o.AllowSaslFailedClients, o.EnforceAuthEnabled, o.SessionRequireClientSaslAuth), Is.EqualTo((false, false, false)));
        Assert.That(o.EnforceAuthSchemes, Is.Empty);
        var providers = AuthenticationProviders.FromOptions(o);
        Assert.That(providers.Sasl.Login, Is.Null);
        Assert.That(providers.Get("sasl"), Is.Null);
    }

    [Test]
    public void A_jaas_file_with_the_server_section_gives_a_digest_md5_login_and_the_sasl_scheme()
    {
        string path = Jaas("Server { org.apache.zookeeper.server.auth.DigestLoginModule required user_bob=\"bobsecret\"; };");
        var o = Parse("authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n",
            new() { ["java.security.auth.login.config"] = path });
        Assert.That(o.JaasConfigFile, Is.EqualTo(path));
        Assert.That(o.UnknownKeys, Is.Empty);
        var providers = AuthenticationProviders.FromOptions(o);
        Assert.That(providers.Get("sasl"), Is.InstanceOf<SaslAuthenticationProvider>());
        var login = providers.Sasl.Login!;
        Assert.That((login.Section, login.Mechanism), Is.EqualTo(("Server", "DIGEST-MD5")));
        Assert.That(login.Callbacks.GetPassword("bob"), Is.EqualTo("bobsecret"));
        Assert.That(providers.Sasl.CreateSaslServer(), Is.InstanceOf<DigestMd5Server>());
    }

    [Test]
    public void The_section_name_comes_from_zookeeper_sasl_serverconfig_and_a_missing_section_means_no_login()
    {
        string path = Jaas("ZkServer { org.apache.zookeeper.server.auth.DigestLoginModule required user_bob=\"b\"; };");
        var named = Parse("", new() { ["java.security.auth.login.config"] = path, ["zookeeper.sasl.serverconfig"] = "ZkServer" });
        Assert.That(AuthenticationProviders.FromOptions(named).Sasl.Login!.Section, Is.EqualTo("ZkServer"));
        var missing = Parse("", new() { ["java.security.auth.login.config"] = path });
        Assert.That(AuthenticationProviders.FromOptions(missing).Sasl.Login, Is.Null);
    }

    [Test]
    public void An_unreadable_or_broken_jaas_file_stops_the_server_with_javas_message()
    {
        var e = Assert.Throws<ConfigException>(() => Parse("", new() { ["java.security.auth.login.config"] = Path.Combine(_dir, "none.conf") }));
        Assert.That(e!.Message, Does.StartWith($"No JAAS configuration section named 'Server' was found in '{Path.Combine(_dir, "none.conf")}'."));
        string broken = Jaas("Server { x required; ");
        e = Assert.Throws<ConfigException>(() =>
            Parse("", new() { ["java.security.auth.login.config"] = broken, ["zookeeper.sasl.serverconfig"] = "Server" }));
        Assert.That(e!.Message, Does.Contain("But zookeeper.sasl.serverconfig was set."));
    }

    [Test]
    public void A_kerberos_login_is_gssapi_and_is_reported_unsupported()
    {
        string path = Jaas("""
            Server {
              com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k" principal="zookeeper/host@R";
            };
            """);
        var o = Parse("", new() { ["java.security.auth.login.config"] = path });
        Assert.That(o.Warnings, Has.Some.Contains("GSSAPI is not supported"));
        var login = AuthenticationProviders.FromOptions(o).Sasl.Login!;
        Assert.That((login.Mechanism, login.IsSupported), Is.EqualTo(("GSSAPI", false)));
        Assert.That(login.CreateSaslServer(), Is.InstanceOf<UnsupportedSaslServer>());
    }

    [Test]
    public void Failed_clients_super_users_and_enforcement_settings_are_read()
    {
        var o = Parse("authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n" +
                      "enforce.auth.enabled=true\nenforce.auth.schemes= sasl , digest\nallowSaslFailedClients=TRUE\n",
            new() { ["zookeeper.superUser"] = "admin", ["zookeeper.superUser.2"] = "root", ["zookeeper.superUserX"] = "no" });
        Assert.That(o.UnknownKeys, Is.Empty);
        Assert.That((o.EnforceAuthEnabled, o.AllowSaslFailedClients), Is.EqualTo((true, true)));
        Assert.That(o.EnforceAuthSchemes, Is.EqualTo(new[] { "sasl", "digest" }));
        Assert.That(SaslAuthentication.SuperUsers(o), Is.EquivalentTo(new[] { "admin", "root" }));
    }

    [Test]
    public void Enforcement_needs_schemes_with_providers()
    {
        var e = Assert.Throws<ConfigException>(() => Parse("enforce.auth.enabled=true\n", []));
        Assert.That(e!.Message, Is.EqualTo("zookeeper.enforce.auth.enabled is true zookeeper.enforce.auth.schemes must be  configured."));
        e = Assert.Throws<ConfigException>(() => Parse("", new() { ["zookeeper.sessionRequireClientSASLAuth"] = "true" }));
        Assert.That(e!.Message, Is.EqualTo("Authentication scheme sasl is not available."));
        var o = Parse("authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\nsessionRequireClientSASLAuth=true\n", []);
        var helper = AuthenticationProviders.FromOptions(o).Sasl.Enforcement;
        Assert.That((helper.EnforceAuthEnabled, helper.IsSaslAuthRequired), Is.EqualTo((true, true)));
        Assert.That(helper.EnforceAuthSchemes, Is.EqualTo(new[] { "sasl" }));
    }
}
