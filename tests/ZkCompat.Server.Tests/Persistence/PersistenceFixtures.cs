using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Config;
using ZkCompat.Server.Data;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

/// <summary>A fresh directory under the temp path, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "zkcompat-persistence-" + Guid.NewGuid().ToString("N"));

    public string VersionDir => System.IO.Path.Combine(Path, DataDirFiles.VersionDirectory);

    public string Sub(string name)
    {
        string dir = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}

internal static class Persist
{
    /// <summary>Options for a data directory; a small preallocation keeps test files small.</summary>
    public static ServerOptions Options(string dataDir, string? dataLogDir = null, long preAllocKb = 4,
        Dictionary<string, string>? properties = null, int snapCount = 100000) => new()
    {
        DataDir = dataDir,
        DataLogDir = dataLogDir ?? dataDir,
        PreAllocSizeKb = preAllocKb,
        ExtendedTypesEnabled = true,
        SnapCount = snapCount,
        SystemProperties = properties ?? new Dictionary<string, string>(),
    };

    public static ZkDatabase Open(ServerOptions options, Random? random = null) =>
        new(options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, random);

    /// <summary>Restores read-only and prints the canonical form.</summary>
    public static string Dump(ServerOptions options)
    {
        var (tree, sessions, zxid) = DataDirDump.Load(options);
        return DataDirDump.Format(tree, sessions, zxid);
    }

    public static byte[] Bytes(IJuteWritable? record) => record is null ? [] : JuteSerializer.ToArray(record);

    /// <summary>Appends and commits <paramref name="entries"/>; rolls after every <paramref name="rollEvery"/> (0: never).</summary>
    public static void WriteLog(FileTxnLog log, IEnumerable<TxnLogEntry> entries, int rollEvery = 0)
    {
        int n = 0;
        foreach (var e in entries)
        {
            log.Append(e.Header, e.Txn, e.Digest);
            if (rollEvery > 0 && ++n % rollEvery == 0) log.RollLog();
        }
        log.Commit();
    }

    public static List<TxnLogEntry> ReadLog(string versionDir, long fromZxid = 1)
    {
        var list = new List<TxnLogEntry>();
        using var it = new TxnLogIterator(new DirectoryInfo(versionDir), fromZxid, TxnLogEntry.ReadOptions.Default);
        while (it.Current is { } e)
        {
            list.Add(e);
            if (!it.Next()) break;
        }
        return list;
    }

    public static string Describe(TxnLogEntry e) =>
        $"{e.Header} | {(e.Txn is null ? "-" : Convert.ToHexString(Bytes(e.Txn)))} | {e.Digest}";
}

/// <summary>
/// Builds txns of every kind the way the processors do (parent cversion + 1, version + 1, digest
/// taken after applying) by applying them to its own tree as it goes.
/// </summary>
internal sealed class TxnScript
{
    public const long Time = 1_700_000_000_000;

    private long _zxid;

    public TxnScript(long startZxid = 0) => _zxid = startZxid;

    public DataTree Tree { get; } = new(extendedTypesEnabled: true);

    public Dictionary<long, int> Sessions { get; } = [];

    public List<TxnLogEntry> Entries { get; } = [];

    public long LastZxid => _zxid;

    public TxnLogEntry Add(OpCode type, IJuteRecord? txn, long session = 0, bool withDigest = true)
    {
        var header = new TxnHeader { ClientId = session, Cxid = (int)(_zxid % 1000) + 1, Zxid = ++_zxid, Time = Time + _zxid, Type = (int)type };
        FileTxnSnapLog.ProcessTransaction(Tree, Sessions, new TxnLogEntry(header, txn, null));
        var entry = new TxnLogEntry(header, txn, withDigest ? new TxnDigest { Version = DigestCalculator.DigestVersion, TreeDigest = Tree.TreeDigest } : null);
        Entries.Add(entry);
        return entry;
    }

    public int NextParentCVersion(string path) => (Tree.GetNode(PathValidation.Parent(path))?.Stat.Cversion ?? 0) + 1;

    public TxnLogEntry CreateSession(long session, int timeout) =>
        Add(OpCode.CreateSession, new CreateSessionTxn { TimeOut = timeout }, session);

    /// <summary>Without a body it is an old log's closeSession, which had no digest either.</summary>
    public TxnLogEntry CloseSession(long session, bool withBody = true) =>
        Add(OpCode.CloseSession, withBody ? new CloseSessionTxn { Paths2Delete = [.. Tree.GetEphemerals(session)] } : null, session, withDigest: withBody);

    public CreateTxn CreateTxn(string path, byte[]? data, bool ephemeral = false, List<ACL>? acl = null) => new()
    {
        Path = path,
        Data = data,
        Acl = acl ?? WellKnownAcls.OpenAclUnsafe(),
        Ephemeral = ephemeral,
        ParentCVersion = NextParentCVersion(path),
    };

    public TxnLogEntry Create(string path, byte[]? data = null, long ephemeralSession = 0, OpCode type = OpCode.Create, List<ACL>? acl = null) =>
        Add(type, CreateTxn(path, data ?? [], ephemeralSession != 0, acl), ephemeralSession);

    public TxnLogEntry CreateTtl(string path, long ttl) =>
        Add(OpCode.CreateTtl, new CreateTTLTxn { Path = path, Data = [1], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = NextParentCVersion(path), Ttl = ttl });

    public TxnLogEntry CreateContainer(string path) =>
        Add(OpCode.CreateContainer, new CreateContainerTxn { Path = path, Data = [2], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = NextParentCVersion(path) });

    public TxnLogEntry Delete(string path, OpCode type = OpCode.Delete) => Add(type, new DeleteTxn { Path = path });

    public TxnLogEntry SetData(string path, byte[]? data, OpCode type = OpCode.SetData) =>
        Add(type, new SetDataTxn { Path = path, Data = data, Version = type == OpCode.Reconfig ? -1 : (Tree.GetNode(path)?.Stat.Version ?? 0) + 1 });

    public TxnLogEntry SetAcl(string path, List<ACL> acl) =>
        Add(OpCode.SetAcl, new SetACLTxn { Path = path, Acl = acl, Version = (Tree.GetNode(path)?.Stat.Aversion ?? 0) + 1 });

    public TxnLogEntry Error(ErrorCode code) => Add(OpCode.Error, new ErrorTxn { Err = (int)code }, withDigest: false);

    public static Txn Sub(OpCode type, IJuteRecord body) => new() { Type = (int)type, Data = JuteSerializer.ToArray(body) };

    public static ACL Acl(Perms perms, string scheme, string id) => new() { Perms = (int)perms, Id = new Id { Scheme = scheme, IdValue = id } };

    /// <summary>
    /// Random creates (persistent, ephemeral, sequential-looking), data changes, ACL changes,
    /// deletes, multis and session churn, each valid against the tree at its point.
    /// </summary>
    public void RandomWorkload(Random rng, int count)
    {
        var live = new List<long>();
        for (int i = 0; i < count; i++)
        {
            var paths = Tree.GetChildren("/", null, null).Where(c => c != "zookeeper").Select(c => "/" + c).ToList();
            int dice = rng.Next(100);
            if (dice < 5 || live.Count == 0)
            {
                long session = 0x2000000 + i;
                CreateSession(session, 4000 + rng.Next(10000));
                live.Add(session);
            }
            else if (dice < 8)
            {
                long session = live[rng.Next(live.Count)];
                live.Remove(session);
                CloseSession(session);
            }
            else if (dice < 40 || paths.Count < 5)
            {
                string parent = paths.Count > 0 && rng.Next(3) == 0 ? paths[rng.Next(paths.Count)] : "";
                var parentNode = Tree.GetNode(parent.Length == 0 ? "/" : parent)!;
                if (parentNode.Stat.EphemeralOwner != 0) parent = "";
                string path = parent + "/n" + i;
                long owner = rng.Next(4) == 0 ? live[rng.Next(live.Count)] : 0;
                var data = new byte[rng.Next(0, 64)];
                rng.NextBytes(data);
                Create(path, data, owner, rng.Next(2) == 0 ? OpCode.Create : OpCode.Create2);
            }
            else if (dice < 65)
            {
                string path = paths[rng.Next(paths.Count)];
                var data = new byte[rng.Next(0, 64)];
                rng.NextBytes(data);
                SetData(path, data);
            }
            else if (dice < 70)
            {
                SetAcl(paths[rng.Next(paths.Count)], [Acl(Perms.Read, "world", "anyone"), Acl((Perms)rng.Next(1, 32), "ip", "10.0.0." + rng.Next(4))]);
            }
            else if (dice < 88)
            {
                string path = paths[rng.Next(paths.Count)];
                var children = Tree.GetChildren(path, null, null);
                if (children.Count > 0) Delete(path + "/" + children[0]);
                else Delete(path);
            }
            else if (dice < 95)
            {
                string a = "/m" + i;
                var create = CreateTxn(a, [1, 2, 3]);
                string target = paths[rng.Next(paths.Count)];
                Add(OpCode.Multi, new MultiTxn
                {
                    Txns =
                    [
                        Sub(OpCode.Create, create),
                        Sub(OpCode.SetData, new SetDataTxn { Path = target, Data = [9], Version = (Tree.GetNode(target)?.Stat.Version ?? 0) + 1 }),
                    ],
                });
            }
            else
            {
                Error(ErrorCode.NoNode);
            }
        }
    }

    /// <summary>Every txn type the log can hold, including multis that succeed and fail.</summary>
    public static TxnScript EveryType(long startZxid = 0)
    {
        var s = new TxnScript(startZxid);
        s.CreateSession(0x1000001, 30000);
        s.CreateSession(0x1000002, 4000);
        s.Create("/app", "root of app"u8.ToArray());
        s.Create("/app/config", [0, 1, 2, 255], type: OpCode.Create2);
        s.Create("/app/lock-0000000001", [], ephemeralSession: 0x1000001);
        s.Create("/app/member", null, ephemeralSession: 0x1000002, type: OpCode.Create2);
        s.Create("/secure", "s"u8.ToArray(), acl: [Acl(Perms.All, "digest", "user:Ys4/gh9VjDgZOpE3bMtbKZQ6vM4="), Acl(Perms.Read, "world", "anyone")]);
        s.CreateTtl("/ttl", 60_000);
        s.CreateContainer("/container");
        s.Create("/container/child", []);
        s.SetData("/app", "changed"u8.ToArray());
        s.SetData("/app", null);
        s.SetAcl("/app/config", [Acl(Perms.Read | Perms.Write, "ip", "127.0.0.1")]);
        s.SetData("/zookeeper/config", "server.1=127.0.0.1:2888:3888:participant\nversion=100000000"u8.ToArray(), OpCode.Reconfig);
        s.Error(ErrorCode.NodeExists);
        var multiCreate = s.CreateTxn("/multi", "m"u8.ToArray());
        s.Add(OpCode.Multi, new MultiTxn
        {
            Txns =
            [
                Sub(OpCode.Create, multiCreate),
                Sub(OpCode.Check, new CheckVersionTxn { Path = "/app", Version = 3 }),
                Sub(OpCode.SetData, new SetDataTxn { Path = "/app/config", Data = "x"u8.ToArray(), Version = 1 }),
            ],
        });
        s.Add(OpCode.Multi, new MultiTxn
        {
            Txns =
            [
                Sub(OpCode.Delete, new DeleteTxn { Path = "/multi" }),
                Sub(OpCode.Error, new ErrorTxn { Err = (int)ErrorCode.BadVersion }),
                Sub(OpCode.Error, new ErrorTxn { Err = (int)ErrorCode.RuntimeInconsistency }),
            ],
        });
        s.Delete("/container/child");
        s.Delete("/container", OpCode.DeleteContainer);
        s.Delete("/app/lock-0000000001");
        s.CloseSession(0x1000002);
        s.CreateSession(0x1000003, 6000);
        s.CloseSession(0x1000003, withBody: false);
        return s;
    }
}
