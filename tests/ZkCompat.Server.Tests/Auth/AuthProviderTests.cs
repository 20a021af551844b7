using System.Net;
using System.Text;
using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Auth;

namespace ZkCompat.Server.Tests.Auth;

public class AuthProviderTests
{
    // Expected values printed by Java 17 with DigestAuthenticationProvider's rule:
    // split(":", 2)[0] + ":" + Base64(MessageDigest(alg).digest(utf8)).
    [TestCase("bob:secret", "SHA1", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=")]
    [TestCase("super:test", "SHA1", "super:D/InIHSb7yEEbrWz8b9l71RjZJU=")]
    [TestCase("nocolon", "SHA1", "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g=")]
    [TestCase("a:b:c", "SHA1", "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0=")]
    [TestCase("b\u00f8b:s\u00e9cret", "SHA1", "b\u00f8b:tC5KPXhXzk2lB6KboJZyk+1iEOM=")]
    [TestCase(":empty", "SHA1", ":d28FdgWGP7/+uHX3M9UcKTYVL90=")]
    [TestCase("", "SHA1", ":2jmj7l5rSw0yVb/vlWAYkK/YBwk=")]
    [TestCase("bob:secret", "SHA-256", "bob:huAluaVu3uER4LIpielGv9Qqk5x3YVDr6I2R/mXf2wE=")]
    [TestCase("bob:secret", "MD5", "bob:pasriMfeJxH/y5wk/opUWg==")]
    public void GenerateDigest_matches_java(string userColonPassword, string algorithm, string expected)
    {
        Assert.That(DigestAuth.GenerateDigest(userColonPassword, algorithm), Is.EqualTo(expected));
    }

    [Test]
    public void Digest_auth_adds_the_digest_id_and_super_when_it_matches_the_super_digest()
    {
        var provider = new DigestAuthenticationProvider(superDigest: "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
        var ids = new List<Id> { new("ip", "127.0.0.1") };

        Assert.That(provider.HandleAuthentication(Encoding.UTF8.GetBytes("bob:secret"), ids, null), Is.EqualTo(ErrorCode.Ok));
        Assert.That(provider.HandleAuthentication(Encoding.UTF8.GetBytes("bob:secret"), ids, null), Is.EqualTo(ErrorCode.Ok));
        Assert.That(provider.HandleAuthentication(Encoding.UTF8.GetBytes("super:test"), ids, null), Is.EqualTo(ErrorCode.Ok));

        Assert.That(ids, Is.EqualTo(new[]
        {
            new Id("ip", "127.0.0.1"),
            new Id("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="), // once: the connection's ids are a set
            new Id("super", ""),
            new Id("digest", "super:D/InIHSb7yEEbrWz8b9l71RjZJU="),
        }));
    }

    [Test]
    public void Digest_auth_without_a_super_digest_never_grants_super()
    {
        var provider = new DigestAuthenticationProvider(superDigest: null);
        var ids = new List<Id>();
        provider.HandleAuthentication(Encoding.UTF8.GetBytes("super:test"), ids, null);
        Assert.That(ids.Select(i => i.Scheme), Is.EqualTo(new[] { "digest" }));
    }

    // Java: id.split(":").length == 2, and split drops trailing empty pieces.
    [TestCase("bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", true)]
    [TestCase(":hash", true)]
    [TestCase("bob:hash:", true)]
    [TestCase("bob", false)]
    [TestCase("bob:", false)]
    [TestCase("a:b:c", false)]
    [TestCase("::", false)]
    [TestCase("", false)]
    public void Digest_id_validity(string id, bool valid)
    {
        Assert.That(new DigestAuthenticationProvider(null).IsValid(id), Is.EqualTo(valid));
    }

    [TestCase("bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", "bob")]
    [TestCase("nocolon", "nocolon")]
    public void Digest_user_name_is_the_part_before_the_colon(string id, string user)
    {
        IAuthenticationProvider provider = new DigestAuthenticationProvider(null);
        Assert.That(provider.GetUserName(id), Is.EqualTo(user));
    }

    // Printed by Java 3.8.0's IPAuthenticationProvider.matches / isValid (IPv4 only; no IPv6 parser).
    [TestCase("127.0.0.1", "127.0.0.1", true, true)]
    [TestCase("127.0.0.2", "127.0.0.1", false, true)]
    [TestCase("10.1.2.3", "10.0.0.0/8", true, true)]
    [TestCase("11.1.2.3", "10.0.0.0/8", false, true)]
    [TestCase("192.168.1.77", "192.168.1.64/26", true, true)]
    [TestCase("192.168.1.128", "192.168.1.64/26", false, true)]
    [TestCase("1.2.3.4", "0.0.0.0/0", true, true)]
    [TestCase("1.2.3.4", "1.2.3.5/31", true, true)]
    [TestCase("1.2.3.6", "1.2.3.5/31", false, true)]
    [TestCase("1.2.3.4", "1.2.3.4/32", true, true)]
    [TestCase("1.2.3.4", "1.2.3.4/33", false, false)]
    [TestCase("1.2.3.4", "1.2.3.4/-1", false, false)]
    [TestCase("1.2.3.4", "1.2.3.4/", false, false)]
    [TestCase("1.2.3.4", "1.2.3.4/+8", true, true)]
    [TestCase("1.2.3.4", "+1.2.3.4", true, true)]
    [TestCase("1.2.3.4", "01.002.3.4", true, true)]
    [TestCase("1.2.3.4", "1.2.3", false, false)]
    [TestCase("1.2.3.4", "1.2.3.4.", false, false)]
    [TestCase("1.2.3.4", "1.2.3.256", false, false)]
    [TestCase("1.2.3.4", "1.2.3.4/24/1", false, false)]
    [TestCase("1.2.3.4", "a.b.c.d", false, false)]
    [TestCase("1.2.3.4 ", "1.2.3.4", false, true)]
    [TestCase("0:0:0:0:0:0:0:1", "0:0:0:0:0:0:0:1", false, false)]
    public void Ip_matching_and_validity_follow_java(string id, string aclExpr, bool matches, bool valid)
    {
        var provider = new IpAuthenticationProvider();
        Assert.Multiple(() =>
        {
            Assert.That(provider.Matches(id, aclExpr), Is.EqualTo(matches), "matches");
            Assert.That(provider.IsValid(aclExpr), Is.EqualTo(valid), "isValid");
        });
    }

    // Java's InetAddress.getHostAddress: IPv4-mapped addresses become IPv4; IPv6 is uncompressed.
    [TestCase("127.0.0.1", "127.0.0.1")]
    [TestCase("::ffff:10.0.0.7", "10.0.0.7")]
    [TestCase("::1", "0:0:0:0:0:0:0:1")]
    [TestCase("2001:db8::ff00:42:8329", "2001:db8:0:0:0:ff00:42:8329")]
    [TestCase("fe80::1%3", "fe80:0:0:0:0:0:0:1%3")]
    public void Ip_connection_id_uses_javas_address_text(string address, string expected)
    {
        var id = IpAuthenticationProvider.ConnectionId(new IPEndPoint(IPAddress.Parse(address), 50000));
        Assert.That(id, Is.EqualTo(new Id("ip", expected)));
    }

    [Test]
    public void Ip_auth_adds_the_remote_address()
    {
        var ids = new List<Id>();
        var code = new IpAuthenticationProvider().HandleAuthentication([], ids, new IPEndPoint(IPAddress.Loopback, 1234));
        Assert.That(code, Is.EqualTo(ErrorCode.Ok));
        Assert.That(ids, Is.EqualTo(new[] { new Id("ip", "127.0.0.1") }));
    }

    [Test]
    public void Registry_knows_ip_and_digest_but_not_world_auth_or_super()
    {
        var providers = new AuthenticationProviders(superDigest: null);
        Assert.Multiple(() =>
        {
            Assert.That(providers.Get("ip"), Is.InstanceOf<IpAuthenticationProvider>());
            Assert.That(providers.Get("digest"), Is.InstanceOf<DigestAuthenticationProvider>());
            Assert.That(providers.Get("ip")!.IsAuthenticated, Is.False);
            Assert.That(providers.Get("digest")!.IsAuthenticated, Is.True);
            Assert.That(providers.Get("world"), Is.Null);
            Assert.That(providers.Get("auth"), Is.Null);
            Assert.That(providers.Get("super"), Is.Null);
            Assert.That(providers.Get(null), Is.Null);
        });
    }

    [Test]
    public void Digest_can_be_disabled()
    {
        var providers = new AuthenticationProviders(null, digestEnabled: false, DigestAuth.DefaultAlgorithm, additional: null);
        Assert.That(providers.Get("digest"), Is.Null);
    }
}
