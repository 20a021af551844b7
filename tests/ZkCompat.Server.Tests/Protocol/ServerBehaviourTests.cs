using System.Buffers.Binary;
using System.Net.Sockets;
using ZkCompat.Client;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Server.Tests.Protocol;

public class ServerBehaviourTests
{
    private static readonly List<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    [Test]
    public async Task Stat_follows_javas_rules_through_the_wire()
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        var (_, created) = await client.Create2Async("/s", [1, 2, 3], Open);
        Assert.That(created.Czxid, Is.EqualTo(created.Mzxid));
        Assert.That(created.Pzxid, Is.EqualTo(created.Czxid));
        Assert.That(created.DataLength, Is.EqualTo(3));

        string first = await client.CreateAsync("/s/n-", null, Open, CreateMode.PersistentSequential);
        string second = await client.CreateAsync("/s/n-", null, Open, CreateMode.PersistentSequential);
        Assert.That(first, Is.EqualTo("/s/n-0000000000"));
        Assert.That(second, Is.EqualTo("/s/n-0000000001"));
        await client.DeleteAsync(first);
        var (_, stat) = await client.GetDataAsync("/s");
        // Reported cversion counts creates and deletes: 2 creates + 1 delete.
        Assert.That(stat.Cversion, Is.EqualTo(3));
        Assert.That(stat.NumChildren, Is.EqualTo(1));

        var set = await client.SetDataAsync("/s", [9], 0);
        Assert.That(set.Version, Is.EqualTo(1));
        Assert.That(set.Mzxid, Is.GreaterThan(set.Czxid));
        var aclStat = await client.SetAclAsync("/s", Open, 0);
        Assert.That(aclStat.Aversion, Is.EqualTo(1));
        Assert.That(aclStat.Mzxid, Is.EqualTo(set.Mzxid), "setACL does not touch mzxid");
    }

    [Test]
    public async Task Ephemerals_vanish_when_their_session_closes()
    {
        await using var server = InProcessServer.Start();
        await using var owner = await server.ConnectAsync();
        await using var observer = await server.ConnectAsync();
        await owner.CreateAsync("/e", null, Open, CreateMode.Ephemeral);
        var stat = await observer.ExistsAsync("/e", watch: true);
        Assert.That(stat!.EphemeralOwner, Is.EqualTo(owner.SessionId));
        Assert.That(await owner.GetEphemeralsAsync(), Is.EqualTo(new[] { "/e" }));
        await owner.CloseAsync();
        var evt = await observer.Events.ReadAsync();
        Assert.That((evt.Type, evt.Path), Is.EqualTo(((int)EventType.NodeDeleted, "/e")));
        Assert.That(await observer.ExistsAsync("/e"), Is.Null);
    }

    [Test]
    public async Task Watch_event_arrives_before_the_reply_that_caused_it()
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/w", null, Open);
        await client.GetDataAsync("/w", watch: true);
        await client.SetDataAsync("/w", [1]);
        // The event was queued before the setData reply, so it is already readable.
        Assert.That(client.Events.TryRead(out var evt), Is.True);
        Assert.That((evt!.Type, evt.State, evt.Path), Is.EqualTo(((int)EventType.NodeDataChanged, (int)KeeperState.SyncConnected, "/w")));
        // One-shot: a second change fires nothing.
        await client.SetDataAsync("/w", [2]);
        await client.SyncAsync("/w");
        Assert.That(client.Events.TryRead(out _), Is.False);
    }

    [Test]
    public async Task Persistent_recursive_watch_sees_descendants()
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/r", null, Open);
        await client.AddWatchAsync("/r", AddWatchMode.PersistentRecursive);
        await client.CreateAsync("/r/a", null, Open);
        await client.SetDataAsync("/r/a", [1]);
        await client.DeleteAsync("/r/a");
        var seen = new List<(int, string?)>();
        while (client.Events.TryRead(out var evt)) seen.Add((evt.Type, evt.Path));
        Assert.That(seen, Is.EqualTo(new[]
        {
            ((int)EventType.NodeCreated, "/r/a"),
            ((int)EventType.NodeDataChanged, "/r/a"),
            ((int)EventType.NodeDeleted, "/r/a"),
        }));
    }

    [Test]
    public async Task Failed_multi_reports_every_op_and_changes_nothing()
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/m", null, Open);
        var results = await client.MultiAsync(
        [
            new Op.Create("/m/a", null, Open),
            new Op.Check("/m", 42),
            new Op.Create("/m/b", null, Open),
        ]);
        Assert.That(results.Select(r => ((OpResult.ErrorResult)r).Error), Is.EqualTo(new[]
        {
            ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency,
        }));
        Assert.That(await client.GetChildrenAsync("/m"), Is.Empty);

        var ok = await client.MultiAsync([new Op.Create("/m/a", null, Open), new Op.SetData("/m/a", [1])]);
        Assert.That(ok[0], Is.EqualTo(new OpResult.CreateResult("/m/a")));
        var setResult = (OpResult.SetDataResult)ok[1];
        Assert.That(setResult.Stat.Version, Is.EqualTo(1));
        Assert.That(setResult.Stat.Czxid, Is.EqualTo(setResult.Stat.Mzxid), "one zxid for the whole multi");
    }

    [Test]
    public async Task Multi_read_answers_each_op_independently()
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/mr", [7], Open);
        var results = await client.MultiReadAsync([new Op.GetData("/mr"), new Op.GetChildren("/none"), new Op.GetChildren("/mr")]);
        Assert.That(((OpResult.GetDataResult)results[0]).Data, Is.EqualTo(new byte[] { 7 }));
        Assert.That(((OpResult.ErrorResult)results[1]).Error, Is.EqualTo(ErrorCode.NoNode));
        Assert.That(((OpResult.GetChildrenResult)results[2]).Children, Is.Empty);
    }

    [Test]
    public async Task Digest_auth_controls_access_and_whoami_reports_it()
    {
        await using var server = InProcessServer.Start();
        await using var alice = await server.ConnectAsync();
        await using var other = await server.ConnectAsync();
        await alice.AddAuthAsync("digest", "alice:secret"u8.ToArray());
        await alice.CreateAsync("/private", [1], [new ACL((int)Perms.All, new Id("auth", ""))]);
        var (acl, _) = await alice.GetAclAsync("/private");
        Assert.That(acl.Single().Id, Is.EqualTo(new Id("digest", "alice:" + Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData("alice:secret"u8)))));
        var e = Assert.ThrowsAsync<KeeperException>(() => other.GetDataAsync("/private"));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.NoAuth));
        var who = await alice.WhoAmIAsync();
        Assert.That(who.Select(c => (c.AuthScheme, c.User)), Is.EquivalentTo(new[] { ("ip", "127.0.0.1"), ("digest", "alice") }));
    }

    [Test]
    public async Task Unknown_auth_scheme_fails_and_closes_the_connection()
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        var e = Assert.ThrowsAsync<KeeperException>(() => client.AddAuthAsync("nosuch", [1]));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.AuthFailed));
    }

    [Test]
    public async Task Resuming_a_session_keeps_its_ephemerals_and_a_wrong_password_is_refused()
    {
        await using var server = InProcessServer.Start();
        var first = await server.ConnectAsync();
        await first.CreateAsync("/mine", null, Open, CreateMode.Ephemeral);
        await using var resumed = await server.ConnectAsync(new ZooKeeperClientOptions { SessionId = first.SessionId, Password = first.Password });
        Assert.That(resumed.SessionId, Is.EqualTo(first.SessionId));
        Assert.That((await resumed.ExistsAsync("/mine"))!.EphemeralOwner, Is.EqualTo(first.SessionId));
        await first.DisposeAsync();

        var wrong = first.Password.ToArray();
        wrong[0] ^= 0xFF;
        var e = Assert.ThrowsAsync<KeeperException>(() => server.ConnectAsync(new ZooKeeperClientOptions { SessionId = first.SessionId, Password = wrong }));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.SessionExpired));
    }

    [Test]
    public async Task Unknown_opcode_gets_unimplemented_then_close_and_others_are_unaffected()
    {
        await using var server = InProcessServer.Start();
        await using var bystander = await server.ConnectAsync();
        await using var client = await server.ConnectAsync();
        var reply = await client.SendRawAsync((OpCode)999, null);
        Assert.That(reply.Header.Err, Is.EqualTo((int)ErrorCode.Unimplemented));
        var top = await bystander.CreateAsync("/still-serving", null, Open);
        Assert.That(top, Is.EqualTo("/still-serving"));
    }

    [Test]
    public async Task Top_level_check_is_unimplemented()
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        var reply = await client.SendRawAsync(OpCode.Check, new CheckVersionRequest("/", -1));
        Assert.That(reply.Header.Err, Is.EqualTo((int)ErrorCode.Unimplemented));
    }

    [TestCase(-1)]
    [TestCase(0x100000)]
    [TestCase(int.MaxValue)]
    public async Task Frame_length_outside_maxbuffer_closes_without_reply(int length)
    {
        await using var server = InProcessServer.Start();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Listener.LocalEndPoint);
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);
        await socket.SendAsync(prefix);
        var buffer = new byte[64];
        int read = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(read, Is.Zero, "the server closes the connection and sends nothing");
        await using var client = await server.ConnectAsync();
        Assert.That(await client.ExistsAsync("/"), Is.Not.Null);
    }

    [Test]
    public async Task Garbage_connect_request_closes_the_connection()
    {
        await using var server = InProcessServer.Start();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Listener.LocalEndPoint);
        await socket.SendAsync(new byte[] { 0, 0, 0, 3, 1, 2, 3 });
        var buffer = new byte[64];
        int read = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(read, Is.Zero);
    }

    [Test]
    public async Task Old_client_without_readonly_byte_gets_a_36_byte_connect_response()
    {
        await using var server = InProcessServer.Start();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Listener.LocalEndPoint);
        var request = new ConnectRequest(0, 0, 30000, 0, new byte[16]);
        byte[] body = JuteSerializer.ToArray(request);
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await socket.SendAsync(frame);
        var header = new byte[4];
        await ReceiveExactly(socket, header);
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(header), Is.EqualTo(36));
    }

    private static async Task ReceiveExactly(Socket socket, byte[] buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(total)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (n == 0) throw new EndOfStreamException();
            total += n;
        }
    }
}
