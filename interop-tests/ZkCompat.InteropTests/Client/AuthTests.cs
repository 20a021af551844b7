using NUnit.Framework;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.InteropTests.Client;

/// <summary>auth packets, digest ACLs and whoAmI.</summary>
[TestFixture]
public class AuthTests : ClientTestBase
{
    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task DigestAcl_OnlyTheAuthenticatedUserGetsIn(ServerKind kind)
    {
        var alice = await ConnectAsync(kind);
        var stranger = await ConnectAsync(kind);
        await alice.AddAuthAsync("digest", Bytes("alice:secret"));
        string path = await alice.CreateAsync(UniquePath(), Bytes("private"), Acls.CreatorAllAcl);

        // auth:"" was expanded to the connection's digest id, hashed by the server.
        var (acl, _) = await alice.GetAclAsync(path);
        Assert.That(acl, Is.EqualTo(new[] { Acls.Digest("alice", "secret", Perms.All) }));
        Assert.That(Acls.DigestId("bob", "secret"), Is.EqualTo("bob:fyVmFCwVbTJYrznoSu1koqYEYF0="), "known digest from Java");

        Assert.That(await ErrorOf(() => stranger.GetDataAsync(path)), Is.EqualTo(ErrorCode.NoAuth));
        Assert.That(await ErrorOf(() => stranger.SetDataAsync(path, null)), Is.EqualTo(ErrorCode.NoAuth));
        await stranger.AddAuthAsync("digest", Bytes("alice:wrong"));
        Assert.That(await ErrorOf(() => stranger.GetDataAsync(path)), Is.EqualTo(ErrorCode.NoAuth), "a wrong password is just another id");
        await stranger.AddAuthAsync("digest", Bytes("alice:secret"));
        Assert.That((await stranger.GetDataAsync(path)).Data, Is.EqualTo(Bytes("private")));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task ExplicitDigestAcl_PerPermission(ServerKind kind)
    {
        var owner = await ConnectAsync(kind);
        var bob = await ConnectAsync(kind);
        await bob.AddAuthAsync("digest", Bytes("bob:pw"));
        var acl = new List<ACL> { Acls.Digest("bob", "pw", Perms.Read), new((int)Perms.Admin, new Id("world", "anyone")) };
        string path = await owner.CreateAsync(UniquePath(), Bytes("d"), acl);

        Assert.That((await bob.GetDataAsync(path)).Data, Is.EqualTo(Bytes("d")));
        Assert.That(await ErrorOf(() => owner.GetDataAsync(path)), Is.EqualTo(ErrorCode.NoAuth));
        Assert.That(await ErrorOf(() => bob.SetDataAsync(path, null)), Is.EqualTo(ErrorCode.NoAuth));
        Assert.That(await ErrorOf(() => bob.DeleteAsync(path)), Is.EqualTo(ErrorCode.Ok), "delete checks the parent's ACL");
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task CreatorAllAcl_WithoutAuth_InvalidAcl(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);

        Assert.That(await ErrorOf(() => zk.CreateAsync(UniquePath(), null, Acls.CreatorAllAcl)), Is.EqualTo(ErrorCode.InvalidAcl));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task WhoAmI_ListsTheConnectionsIds(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);

        Assert.That(await zk.WhoAmIAsync(), Is.EqualTo(new[] { new ClientInfo("ip", "127.0.0.1") }));
        await zk.AddAuthAsync("digest", Bytes("carol:pw"));
        Assert.That(await zk.WhoAmIAsync(), Is.EquivalentTo(new[] { new ClientInfo("ip", "127.0.0.1"), new ClientInfo("digest", "carol") }));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task UnknownScheme_AuthFailed_AndTheServerCloses(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);

        var e = Assert.ThrowsAsync<KeeperException>(() => zk.AddAuthAsync("no-such-scheme", Bytes("x")));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.AuthFailed));
        await WaitClosedAsync(zk);
        Assert.That(await ErrorOf(() => zk.ExistsAsync("/")), Is.EqualTo(ErrorCode.ConnectionLoss));
        Assert.That(await RemainingEventsAsync(zk), Is.EqualTo(new[] { Event(EventType.None, null, KeeperState.Disconnected) }));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task AuthReply_HasXidMinus4_AndZxidZero(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);

        var reply = await zk.SendRawAsync(OpCode.Auth, new AuthPacket(0, "digest", Bytes("dave:pw")));

        Assert.That(reply.Header, Is.EqualTo(new ReplyHeader(Xids.Auth, 0, 0)));
        Assert.That(reply.Body.Length, Is.Zero);
    }
}
