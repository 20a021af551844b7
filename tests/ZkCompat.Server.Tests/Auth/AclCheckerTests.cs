using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Auth;

namespace ZkCompat.Server.Tests.Auth;

public class AclCheckerTests
{
    private const string Bob = "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=";
    private const string Alice = "alice:9J8Z4uc7EFdaMS4ue0ya8OHhvkk=";

    private static readonly AuthenticationProviders Providers = new(superDigest: null);

    private static ACL Acl(Perms perms, string scheme, string id) => new((int)perms, new Id(scheme, id));

    private static Id IdOf(string scheme, string id) => new(scheme, id);

    private static IEnumerable<TestCaseData> CheckAclMatrix()
    {
        TestCaseData Case(string name, ACL[]? acl, Perms perm, Id[] ids, bool allowed, bool skipAcl = false) =>
            new TestCaseData(acl?.ToList(), perm, ids.ToList(), skipAcl, allowed).SetName("CheckAcl: " + name);

        var anyone = Acl(Perms.All, "world", "anyone");
        var ip = IdOf("ip", "10.1.2.3");
        yield return Case("world:anyone allows everyone", [anyone], Perms.Delete, [], true);
        yield return Case("world:anyone READ does not allow WRITE", [Acl(Perms.Read, "world", "anyone")], Perms.Write, [ip], false);
        yield return Case("world with another id is nobody", [Acl(Perms.All, "world", "someone")], Perms.Read, [IdOf("world", "someone")], false);
        yield return Case("an entry with no perms grants nothing", [Acl(Perms.None, "world", "anyone")], Perms.Read, [], false);
        yield return Case("digest: the same id", [Acl(Perms.Read, "digest", Bob)], Perms.Read, [ip, IdOf("digest", Bob)], true);
        yield return Case("digest: another user", [Acl(Perms.Read, "digest", Bob)], Perms.Read, [IdOf("digest", Alice)], false);
        yield return Case("digest: matching is exact", [Acl(Perms.Read, "digest", Bob)], Perms.Read, [IdOf("digest", "bob:x")], false);
        yield return Case("digest: perms are per entry", [Acl(Perms.Read | Perms.Write, "digest", Bob)], Perms.Admin, [IdOf("digest", Bob)], false);
        yield return Case("ip: inside the CIDR", [Acl(Perms.Read, "ip", "10.0.0.0/8")], Perms.Read, [ip], true);
        yield return Case("ip: outside the CIDR", [Acl(Perms.Read, "ip", "10.0.0.0/8")], Perms.Read, [IdOf("ip", "11.0.0.1")], false);
        yield return Case("ip: exact address", [Acl(Perms.All, "ip", "127.0.0.1")], Perms.Create, [IdOf("ip", "127.0.0.1")], true);
        yield return Case("ip: IPv6 clients never match", [Acl(Perms.All, "ip", "127.0.0.1")], Perms.Read, [IdOf("ip", "0:0:0:0:0:0:0:1")], false);
        yield return Case("a scheme only matches ids of that scheme", [Acl(Perms.Read, "ip", "1.2.3.4")], Perms.Read, [IdOf("digest", "1.2.3.4")], false);
        yield return Case("an unknown scheme matches nothing", [Acl(Perms.Read, "sasl", "bob")], Perms.Read, [IdOf("sasl", "bob")], false);
        yield return Case("super passes any ACL", [Acl(Perms.Read, "digest", Bob)], Perms.Admin, [IdOf("super", "")], true);
        yield return Case("an empty ACL allows", [], Perms.Admin, [], true);
        yield return Case("a null ACL allows", null, Perms.Admin, [], true);
        yield return Case("skipACL allows", [Acl(Perms.Read, "digest", Bob)], Perms.Admin, [], true, skipAcl: true);
        yield return Case("getACL asks for READ or ADMIN: ADMIN alone is enough",
            [Acl(Perms.Admin, "digest", Bob)], Perms.Read | Perms.Admin, [IdOf("digest", Bob)], true);
        yield return Case("a later entry can allow",
            [Acl(Perms.Read, "digest", Alice), Acl(Perms.Write, "world", "anyone"), Acl(Perms.Read, "ip", "10.1.2.3")],
            Perms.Read, [ip], true);
    }

    [TestCaseSource(nameof(CheckAclMatrix))]
    public void CheckAcl(List<ACL>? acl, Perms perm, List<Id> ids, bool skipAcl, bool allowed)
    {
        Assert.That(AclChecker.IsAllowed(Providers, acl, perm, ids, skipAcl), Is.EqualTo(allowed));
        if (allowed)
        {
            Assert.DoesNotThrow(() => AclChecker.CheckAcl(Providers, acl, perm, ids, skipAcl));
        }
        else
        {
            var e = Assert.Throws<KeeperException>(() => AclChecker.CheckAcl(Providers, acl, perm, ids, skipAcl, "/node"));
            Assert.That(e!.Code, Is.EqualTo(ErrorCode.NoAuth));
        }
    }

    [Test]
    public void FixupAcl_expands_auth_to_every_authenticated_id_and_keeps_the_rest()
    {
        List<Id> ids = [IdOf("ip", "127.0.0.1"), IdOf("digest", Bob), IdOf("super", ""), IdOf("digest", Alice)];
        List<ACL> acl = [Acl(Perms.Read | Perms.Write, "auth", ""), Acl(Perms.Read, "world", "anyone"), Acl(Perms.All, "ip", "10.0.0.0/8")];

        var result = AclChecker.FixupAcl(Providers, "/n", ids, acl);

        // ip is not an authenticating scheme and super has no provider: neither stands in for "auth".
        Assert.That(result, Is.EqualTo(new[]
        {
            Acl(Perms.Read | Perms.Write, "digest", Bob),
            Acl(Perms.Read | Perms.Write, "digest", Alice),
            Acl(Perms.Read, "world", "anyone"),
            Acl(Perms.All, "ip", "10.0.0.0/8"),
        }));
    }

    [Test]
    public void FixupAcl_removes_duplicates_but_keeps_the_same_id_with_other_perms()
    {
        List<ACL> acl =
        [
            Acl(Perms.All, "world", "anyone"), Acl(Perms.All, "world", "anyone"),
            Acl(Perms.Read, "digest", Bob), Acl(Perms.Admin, "digest", Bob), Acl(Perms.Read, "digest", Bob),
        ];

        var result = AclChecker.FixupAcl(Providers, "/n", [], acl);

        Assert.That(result, Is.EqualTo(new[] { Acl(Perms.All, "world", "anyone"), Acl(Perms.Read, "digest", Bob), Acl(Perms.Admin, "digest", Bob) }));
    }

    [Test]
    public void FixupAcl_result_shares_nothing_with_its_inputs()
    {
        var digestId = IdOf("digest", Bob);
        List<ACL> acl = [Acl(Perms.Read, "auth", ""), Acl(Perms.Read, "world", "anyone")];

        var result = AclChecker.FixupAcl(Providers, "/n", [digestId], acl);
        result[0].Id.IdValue = "changed";
        result[1].Perms = 0;

        Assert.That(digestId.IdValue, Is.EqualTo(Bob));
        Assert.That(acl[1].Perms, Is.EqualTo((int)Perms.Read));
    }

    private static IEnumerable<TestCaseData> InvalidAcls()
    {
        TestCaseData Case(string name, List<ACL>? acl, params Id[] ids) =>
            new TestCaseData(acl, ids.ToList()).SetName("FixupAcl rejects: " + name);

        yield return Case("a null list", null);
        yield return Case("an empty list", []);
        yield return Case("auth without any authenticated id", [Acl(Perms.All, "auth", "")], IdOf("ip", "127.0.0.1"));
        yield return Case("auth when only super is held", [Acl(Perms.All, "auth", "")], IdOf("super", ""));
        yield return Case("a digest id without a hash", [Acl(Perms.All, "digest", "bob")]);
        yield return Case("a digest id with two colons", [Acl(Perms.All, "digest", "bob:a:b")]);
        yield return Case("a malformed ip", [Acl(Perms.All, "ip", "1.2.3")]);
        yield return Case("an ip prefix too long", [Acl(Perms.All, "ip", "1.2.3.4/33")]);
        yield return Case("an IPv6 ip id", [Acl(Perms.All, "ip", "::1")]);
        yield return Case("an unknown scheme", [Acl(Perms.All, "foo", "bar")]);
        yield return Case("super as a scheme", [Acl(Perms.All, "super", "")]);
        yield return Case("world with an id other than anyone", [Acl(Perms.All, "world", "everyone")]);
        yield return Case("a null scheme", [new ACL((int)Perms.All, new Id(null, "anyone"))]);
        yield return Case("one bad entry among good ones", [Acl(Perms.All, "world", "anyone"), Acl(Perms.All, "digest", "bob")]);
    }

    [TestCaseSource(nameof(InvalidAcls))]
    public void FixupAcl_invalid(List<ACL>? acl, List<Id> ids)
    {
        var e = Assert.Throws<KeeperException>(() => AclChecker.FixupAcl(Providers, "/some/path", ids, acl));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.InvalidAcl));
        Assert.That(e.Path, Is.EqualTo("/some/path"));
    }

    [Test]
    public void GetAcl_masks_digest_hashes_for_callers_without_admin()
    {
        List<ACL> stored = [Acl(Perms.Read, "world", "anyone"), Acl(Perms.Admin, "digest", Bob), Acl(Perms.Read, "ip", "10.0.0.0/8")];

        var forStranger = AclChecker.MaskForGetAcl(Providers, stored, [IdOf("ip", "127.0.0.1")], skipAcl: false);
        var forBob = AclChecker.MaskForGetAcl(Providers, stored, [IdOf("digest", Bob)], skipAcl: false);

        Assert.Multiple(() =>
        {
            Assert.That(forStranger, Is.EqualTo(new[] { stored[0], Acl(Perms.Admin, "digest", "bob:x"), stored[2] }));
            Assert.That(forBob, Is.EqualTo(stored));
            Assert.That(stored[1].Id.IdValue, Is.EqualTo(Bob), "the stored ACL is untouched");
        });
    }

    // Java: id.replaceAll(":.*", ":x"), where '.' does not cross line terminators.
    [TestCase("bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", "bob:x")]
    [TestCase("a:b:c", "a:x")]
    [TestCase("nocolon", "nocolon")]
    [TestCase(":", ":x")]
    [TestCase("bob:ab\r\ncd:ef\u2028g:h", "bob:x\r\ncd:x\u2028g:x")]
    public void MaskDigest_matches_javas_replaceAll(string id, string expected)
    {
        Assert.That(AclChecker.MaskDigest(id), Is.EqualTo(expected));
    }
}
