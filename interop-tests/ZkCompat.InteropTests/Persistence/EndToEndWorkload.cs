using System.Text;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// Thousands of nodes of every kind written through the protocol, so that every txn type ends up in
/// the logs and snapshots of the server that takes them: persistent (create and create2), sequential,
/// ephemeral and ephemeral-sequential of a session left open, ephemerals of a session that closes,
/// containers, TTL nodes, digest / auth / world / ip ACLs, setData / setACL / delete mixes, requests
/// that fail (error txns), multis that succeed and multis that fail. Requests are pipelined, several
/// clients at a time. What the server answers is not predicted here: the tests compare what one
/// server serves with what another serves from the same files.
/// </summary>
internal static class EveryKindWorkload
{
    public const string Root = "/e2e";
    private const string Plain = Root + "/plain";
    private const string Sequential = Root + "/sequential";
    private const string Ephemeral = Root + "/ephemeral";
    private const string Ttl = Root + "/ttl";
    private const string Containers = Root + "/containers";
    private const string Secured = Root + "/acl";
    private const string Multi = Root + "/multi";
    private const string Gone = Root + "/gone";

    private const int Writers = 4;
    private const int PlainPerWriter = 400;
    private const long OneHourMs = 3_600_000;

    /// <summary>The session left open must outlive the switch from one server to the other.</summary>
    public static readonly TimeSpan KeeperSessionTimeout = TimeSpan.FromSeconds(30);

    private static readonly (string User, string Password) Alice = ("alice", "alice-secret");
    private static readonly (string User, string Password) Bob = ("bob", "bob-secret");
    private static readonly (string User, string Password) Carol = ("carol", "carol-secret");

    /// <summary>Who the tree reader authenticates as: carol's nodes stay unreadable, bob reads without ADMIN (masked digests).</summary>
    public static readonly (string User, string Password)[] ReaderUsers = [Alice, Bob];

    private static readonly IReadOnlyList<ACL> Open = Acls.OpenAclUnsafe;

    private static readonly IReadOnlyList<ACL>[] AclVariants =
    [
        [Acls.Digest(Alice.User, Alice.Password, Perms.All)],
        [Acls.Digest(Bob.User, Bob.Password, Perms.Read)],
        [Acls.Digest(Carol.User, Carol.Password, Perms.All)],
        Acls.ReadAclUnsafe,
        [Ip("127.0.0.1", Perms.All)],
        [Ip("127.0.0.0/8", Perms.Read | Perms.Write)],
        [Ip("10.1.2.3", Perms.All)],
        Acls.CreatorAllAcl, // the writers are alice: stored as alice's digest
        [Acls.Digest(Alice.User, Alice.Password, Perms.Read | Perms.Admin), World(Perms.Read), Ip("127.0.0.1", Perms.Write)],
        [World(Perms.Create | Perms.Delete)],
    ];

    /// <summary>
    /// Writes the workload through clients made by <paramref name="connect"/> and returns the client whose
    /// session is left open, with ephemerals; every other session is closed.
    /// </summary>
    public static async Task<ZooKeeperClient> WriteAsync(Func<ZooKeeperClientOptions?, Task<ZooKeeperClient>> connect, CancellationToken ct)
    {
        var keeper = await connect(new ZooKeeperClientOptions { SessionTimeout = KeeperSessionTimeout });
        var writers = new ZooKeeperClient[Writers];
        for (int w = 0; w < Writers; w++) writers[w] = await connect(null);
        foreach (var client in writers.Append(keeper)) await client.AddAuthAsync("digest", Credentials(Alice), ct);

        await keeper.CreateAsync(Root, "end-to-end"u8.ToArray(), Open, ct: ct);
        foreach (string parent in new[] { Plain, Sequential, Ephemeral, Ttl, Containers, Secured, Multi, Gone })
            await keeper.CreateAsync(parent, Encoding.UTF8.GetBytes(parent), Open, ct: ct);

        await EachWriter(writers, (w, client) => PlainNodesAsync(client, w, ct));
        await EachWriter(writers, (w, client) => MixPlainNodesAsync(client, w, ct));
        await Task.WhenAll(
            SequentialNodesAsync(writers[0], ct),
            TtlNodesAsync(writers[1], ct),
            ContainersAsync(writers[2], ct),
            SecuredNodesAsync(writers[3], ct));
        await Task.WhenAll(MultisAsync(writers[0], ct), GoneSubtreeAsync(writers[1], ct), BigNodesAsync(writers[2], ct));
        await EphemeralsAsync(keeper, connect, ct);
        await Tolerate(keeper.SetDataAsync(Root, "end-to-end, done"u8.ToArray(), ct: ct));

        foreach (var client in writers) await client.CloseAsync(ct);
        await keeper.SyncAsync(Root, ct);
        return keeper;
    }

    private static Task EachWriter(ZooKeeperClient[] writers, Func<int, ZooKeeperClient, Task> work) =>
        Task.WhenAll(writers.Select((client, w) => work(w, client)));

    private static Task PlainNodesAsync(ZooKeeperClient client, int w, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, PlainPerWriter).Select(i => i % 2 == 0
            ? client.CreateAsync(PlainPath(w, i), Payload(w, i), Open, ct: ct)
            : (Task)client.Create2Async(PlainPath(w, i), Payload(w, i), Open, ct: ct)));

    /// <summary>Per node, one of: delete, setData, two versioned setData, a stale version then setACL, a duplicate create.</summary>
    private static Task MixPlainNodesAsync(ZooKeeperClient client, int w, CancellationToken ct)
    {
        var replies = new List<Task>();
        for (int i = 0; i < PlainPerWriter; i++)
        {
            string path = PlainPath(w, i);
            switch (i % 5)
            {
                case 0:
                    replies.Add(client.DeleteAsync(path, ct: ct));
                    break;
                case 1:
                    replies.Add(client.SetDataAsync(path, Payload(w, i + 1), ct: ct));
                    break;
                case 2:
                    replies.Add(client.SetDataAsync(path, Payload(w, i + 2), 0, ct));
                    replies.Add(client.SetDataAsync(path, null, 1, ct));
                    break;
                case 3:
                    replies.Add(Tolerate(client.SetDataAsync(path, [1], 7, ct))); // BADVERSION: an error txn
                    replies.Add(client.SetAclAsync(path, [World(Perms.Read | Perms.Write | Perms.Create), Ip("127.0.0.1", Perms.All)], 0, ct));
                    break;
                default:
                    replies.Add(Tolerate(client.CreateAsync(path, [], Open, ct: ct))); // NODEEXISTS
                    replies.Add(client.SetDataAsync(path, [], ct: ct));
                    break;
            }
        }
        return Task.WhenAll(replies);
    }

    private static Task SequentialNodesAsync(ZooKeeperClient client, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            client.CreateAsync(Sequential + "/s-", Encoding.UTF8.GetBytes("sequential " + i), Open, CreateMode.PersistentSequential, ct: ct)));

    private static async Task TtlNodesAsync(ZooKeeperClient client, CancellationToken ct)
    {
        var replies = new List<Task>();
        for (int i = 0; i < 100; i++)
        {
            string path = $"{Ttl}/t-{i:D3}";
            replies.Add(i % 2 == 0
                ? client.CreateAsync(path, [(byte)i], Open, CreateMode.PersistentWithTtl, OneHourMs + i, ct)
                : client.Create2Async(path, null, Open, CreateMode.PersistentWithTtl, OneHourMs + i, ct));
            if (i % 10 == 0) replies.Add(client.CreateAsync(path + "/child", [], Open, ct: ct));
            if (i % 4 == 1) replies.Add(client.SetDataAsync(path, Encoding.UTF8.GetBytes("touched " + i), ct: ct));
        }
        for (int i = 0; i < 30; i++)
            replies.Add(client.CreateAsync(Ttl + "/st-", [], Open, CreateMode.PersistentSequentialWithTtl, OneHourMs * 2, ct));
        replies.Add(Tolerate(client.CreateAsync(Ttl + "/no-ttl", [], Open, CreateMode.PersistentWithTtl, 0, ct))); // BADARGUMENTS
        await Task.WhenAll(replies);
    }

    /// <summary>Containers keep at least one child (an emptied one would be reaped, at a time no test controls) or never had one.</summary>
    private static async Task ContainersAsync(ZooKeeperClient client, CancellationToken ct)
    {
        var replies = new List<Task>();
        for (int c = 0; c < 20; c++)
        {
            string container = $"{Containers}/c-{c:D2}";
            replies.Add(c % 2 == 0
                ? client.CreateAsync(container, Encoding.UTF8.GetBytes(container), Open, CreateMode.Container, ct: ct)
                : client.Create2Async(container, null, Open, CreateMode.Container, ct: ct));
            for (int k = 0; k < 5; k++) replies.Add(client.CreateAsync($"{container}/k-{k}", [(byte)k], Open, ct: ct));
            for (int k = 0; k < 3; k++) replies.Add(client.DeleteAsync($"{container}/k-{k}", ct: ct));
        }
        replies.Add(client.CreateAsync(Containers + "/never-used", [], Open, CreateMode.Container, ct: ct));
        await Task.WhenAll(replies);
    }

    private static async Task SecuredNodesAsync(ZooKeeperClient client, CancellationToken ct)
    {
        var replies = new List<Task>();
        for (int i = 0; i < 200; i++)
            replies.Add(client.CreateAsync($"{Secured}/n-{i:D3}", Encoding.UTF8.GetBytes("secured " + i), AclVariants[i % AclVariants.Length], ct: ct));
        // Where alice lacks ADMIN the server refuses (NOAUTH, an error txn); elsewhere aversion moves on.
        for (int i = 0; i < 200; i += 3)
            replies.Add(Tolerate(client.SetAclAsync($"{Secured}/n-{i:D3}", AclVariants[(i + 1) % AclVariants.Length], ct: ct)));
        for (int i = 1; i < 200; i += 7)
            replies.Add(Tolerate(client.SetDataAsync($"{Secured}/n-{i:D3}", [(byte)i], ct: ct)));
        await Task.WhenAll(replies);
    }

    private static async Task MultisAsync(ZooKeeperClient client, CancellationToken ct)
    {
        var replies = new List<Task>();
        for (int m = 0; m < 50; m++)
        {
            string node = $"{Multi}/m-{m:D2}";
            replies.Add(client.MultiAsync(
            [
                new Op.Create(node, [(byte)m], Open),
                new Op.Create(node + "/a", null, Open),
                new Op.Create(node + "/b", [], Open),
                new Op.SetData(node, Encoding.UTF8.GetBytes("multi " + m), 0),
                new Op.Delete(node + "/b"),
                new Op.Check(node, 1),
            ], ct));
        }
        for (int m = 0; m < 20; m++)
        {
            // Fails at the check: nothing of it applies, the log gets a multi of error txns.
            replies.Add(client.MultiAsync([new Op.Create($"{Multi}/failed-{m}", [], Open), new Op.Check(Root, 999)], ct));
        }
        for (int m = 0; m < 10; m++)
        {
            replies.Add(client.MultiAsync(
            [
                new Op.Create($"{Multi}/ttl-{m}", [(byte)m], Open, CreateMode.PersistentWithTtl, OneHourMs),
                new Op.Create($"{Multi}/container-{m}", null, Open, CreateMode.Container),
                new Op.Create($"{Multi}/container-{m}/child", [], Open),
            ], ct));
        }
        await Task.WhenAll(replies);
    }

    /// <summary>A subtree created and deleted again: deletes in the logs, parent counters that moved.</summary>
    private static async Task GoneSubtreeAsync(ZooKeeperClient client, CancellationToken ct)
    {
        var replies = new List<Task>();
        for (int g = 0; g < 100; g++)
        {
            replies.Add(client.CreateAsync($"{Gone}/g-{g:D3}", [], Open, ct: ct));
            replies.Add(client.CreateAsync($"{Gone}/g-{g:D3}/leaf", [(byte)g], Open, ct: ct));
        }
        replies.Add(Tolerate(client.DeleteAsync($"{Gone}/g-000", ct: ct))); // NOTEMPTY
        for (int g = 0; g < 100; g++)
        {
            replies.Add(client.DeleteAsync($"{Gone}/g-{g:D3}/leaf", ct: ct));
            replies.Add(client.DeleteAsync($"{Gone}/g-{g:D3}", g % 2 == 0 ? -1 : 0, ct));
        }
        await Task.WhenAll(replies);
    }

    /// <summary>A few large values, so snapshots and log records span more than a buffer or two.</summary>
    private static Task BigNodesAsync(ZooKeeperClient client, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, 5).Select(b =>
            client.CreateAsync($"{Root}/big-{b}", Enumerable.Range(0, 200_000 + b).Select(i => (byte)(i * 31 + b)).ToArray(), Open, ct: ct)));

    /// <summary>Ephemerals of the keeper (left open), and of a session that closes (its ephemerals go with it).</summary>
    private static async Task EphemeralsAsync(ZooKeeperClient keeper, Func<ZooKeeperClientOptions?, Task<ZooKeeperClient>> connect, CancellationToken ct)
    {
        var leaver = await connect(null);
        var replies = new List<Task>();
        for (int i = 0; i < 200; i++)
            replies.Add(keeper.CreateAsync($"{Ephemeral}/k-{i:D3}", Encoding.UTF8.GetBytes("kept " + i), Open, CreateMode.Ephemeral, ct: ct));
        for (int i = 0; i < 50; i++)
            replies.Add(keeper.Create2Async(Ephemeral + "/ks-", null, Open, CreateMode.EphemeralSequential, ct: ct));
        replies.Add(keeper.CreateAsync($"{Secured}/ephemeral", [], AclVariants[0], CreateMode.Ephemeral, ct: ct));
        for (int i = 0; i < 100; i++)
            replies.Add(leaver.CreateAsync($"{Ephemeral}/l-{i:D3}", [], Open, i % 2 == 0 ? CreateMode.Ephemeral : CreateMode.EphemeralSequential, ct: ct));
        await Task.WhenAll(replies);
        await leaver.CloseAsync(ct);
    }

    private static string PlainPath(int w, int i) => $"{Plain}/w{w}-{i:D4}";

    /// <summary>Null, empty, or a few hundred bytes, varying with the node.</summary>
    private static byte[]? Payload(int w, int i) => (i % 11) switch
    {
        0 => null,
        1 => [],
        _ => Enumerable.Range(0, (i * 37 + w * 11) % 700).Select(j => (byte)(i + j * 7)).ToArray(),
    };

    /// <summary>A request the server may refuse: its error is part of the workload, not a failure of it.</summary>
    private static async Task Tolerate(Task request)
    {
        try
        {
            await request;
        }
        catch (KeeperException e) when (e.Code is not (ErrorCode.ConnectionLoss or ErrorCode.SessionExpired or ErrorCode.OperationTimeout))
        {
        }
    }

    private static byte[] Credentials((string User, string Password) user) => Encoding.UTF8.GetBytes(user.User + ":" + user.Password);

    private static ACL World(Perms perms) => new((int)perms, new Id("world", "anyone"));

    private static ACL Ip(string address, Perms perms) => new((int)perms, new Id("ip", address));
}
