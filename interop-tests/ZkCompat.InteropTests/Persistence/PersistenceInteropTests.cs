using System.Text;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Txn;
using ZkCompat.TestSupport;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// Data directories cross between the implementations both ways: Java's own tools and its
/// <c>FileTxnSnapLog</c> read what ZkCompat writes, ZkCompat restores what a Java server wrote, and a
/// canonical print of every node (path, data, ACL, stat), the sessions, the zxid and the tree digest
/// must come out the same from both restores.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class PersistenceInteropTests
{
    private static readonly TimeSpan JavaTimeout = TimeSpan.FromMinutes(2);

    private static readonly (string Jar, string Package)[] Jars =
    [
        ("zookeeper.jar", "libzookeeper-java"),
        ("zookeeper-jute.jar", "libzookeeper-java"),
        ("slf4j-api.jar", "libslf4j-java"),
        ("slf4j-nop.jar", "libslf4j-java"),
    ];

    private JavaEnvironment _java = null!;
    private string _tempDir = null!;
    private string _classpath = null!;

    [OneTimeSetUp]
    public void CompileProbe()
    {
        _java = JavaEnvironment.Default;
        _tempDir = Path.Combine(Path.GetTempPath(), "zkcompat-persistence-interop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_tempDir);
        string source = Path.Combine(RepoPaths.Root, "interop-tests", "ZkCompat.InteropTests", "Persistence", "java", "PersistenceProbe.java");
        string classes = Path.Combine(_tempDir, "classes");
        string jars = DebianFiles.Classpath(Jars);
        _java.CompileJava([source], jars, classes, JavaTimeout).EnsureSuccess("javac PersistenceProbe.java");
        _classpath = classes + Path.PathSeparator + jars;
    }

    [OneTimeTearDown]
    public void DeleteTempDir()
    {
        if (_tempDir is not null && Directory.Exists(_tempDir)) Directory.Delete(_tempDir, recursive: true);
    }

    private string NewDir(string name)
    {
        string dir = Path.Combine(_tempDir, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private ProcessResult Java(string mainClass, IEnumerable<string> args, params string[] jvmOptions) =>
        _java.RunJava(_classpath, mainClass, args, JavaTimeout, ["-Dzookeeper.extendedTypesEnabled=true", .. jvmOptions]);

    private string JavaDump(string dataDir) =>
        Java("PersistenceProbe", ["dump", dataDir, dataDir]).EnsureSuccess("Java FileTxnSnapLog restore").StdOut;

    // ---- ZkCompat writes, Java reads -----------------------------------------------------------

    [TestCase(null, TestName = "JavaRestoresWhatZkCompatWrote_PlainSnapshots")]
    [TestCase("gz", TestName = "JavaRestoresWhatZkCompatWrote_GzipSnapshots")]
    [TestCase("snappy", TestName = "JavaRestoresWhatZkCompatWrote_SnappySnapshots")]
    public void JavaRestoresWhatZkCompatWrote(string? compression)
    {
        string dataDir = NewDir("zkcompat-written");
        WriteEveryKindWithZkCompat(dataDir, compression);
        if (compression is not null)
            Assert.That(Directory.GetFiles(Path.Combine(dataDir, "version-2"), "snapshot.*." + compression), Has.Length.GreaterThanOrEqualTo(3));

        string ours = BuiltServerPersistence.Dump(dataDir);
        string javas = compression == "snappy" ? WithSnappyJava(() => JavaDump(dataDir)) : JavaDump(dataDir);
        Assert.That(javas, Is.EqualTo(ours), "Java's restore of ZkCompat's files differs from ZkCompat's own");
        Assert.That(ours, Does.Contain("/app/config ").And.Contain("/ttl ").And.Contain("/multi ").And.Contain("session 0x1000001 30000"));
    }

    [Test]
    public void JavaToolsReadZkCompatFiles()
    {
        string dataDir = NewDir("zkcompat-tools");
        int txns = WriteEveryKindWithZkCompat(dataDir, compression: null);
        string versionDir = Path.Combine(dataDir, "version-2");

        var snapshots = Directory.GetFiles(versionDir, "snapshot.*");
        Assert.That(snapshots, Has.Length.GreaterThanOrEqualTo(3));
        foreach (string snapshot in snapshots)
        {
            var result = Java("org.apache.zookeeper.server.SnapshotFormatter", ["-d", snapshot]).EnsureSuccess("SnapshotFormatter " + snapshot);
            Assert.That(result.StdOut, Does.Contain("/zookeeper/config").And.Contain("Session Details"), snapshot);
        }
        string newest = snapshots.OrderBy(f => Convert.ToInt64(Path.GetFileName(f)["snapshot.".Length..], 16)).Last();
        string formatted = Java("org.apache.zookeeper.server.SnapshotFormatter", ["-d", newest]).EnsureSuccess("SnapshotFormatter").StdOut;
        Assert.That(formatted, Does.Contain("/app/config").And.Contain("/secure").And.Contain("/ttl"));

        int total = 0;
        foreach (string log in Directory.GetFiles(versionDir, "log.*"))
        {
            var result = Java("org.apache.zookeeper.server.persistence.TxnLogToolkit", ["-d", log]).EnsureSuccess("TxnLogToolkit " + log);
            var match = System.Text.RegularExpressions.Regex.Match(result.StdOut, @"EOF reached after (\d+) txns\.");
            Assert.That(match.Success, Is.True, result.StdOut);
            total += int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(result.StdOut, Does.Not.Contain("CRC"), log);
        }
        Assert.That(total, Is.EqualTo(txns));
    }

    /// <summary>
    /// Every txn type through the built server's ZkDatabase: some txns, a snapshot, more txns, a
    /// roll, a fuzzy-looking snapshot, more txns. Returns the number of txns logged.
    /// </summary>
    private static int WriteEveryKindWithZkCompat(string dataDir, string? compression)
    {
        var db = new BuiltServerPersistence(dataDir, compression);
        var w = new TxnWriter(db);
        try
        {
            w.CreateSession(0x1000001, 30000);
            w.CreateSession(0x1000002, 4000);
            w.Create("/app", "root of app"u8.ToArray());
            w.Create("/app/config", [0, 1, 2, 255], type: OpCode.Create2);
            w.Create("/app/lock-0000000001", [], session: 0x1000001);
            w.Create("/app/member", null, session: 0x1000002, type: OpCode.Create2);
            w.Create("/secure", "s"u8.ToArray(), acl: [Acl(Perms.All, "digest", "user:Ys4/gh9VjDgZOpE3bMtbKZQ6vM4="), Acl(Perms.Read, "world", "anyone")]);
            db.Commit();
            db.RollLog();
            db.TakeSnapshot();
            w.Add(OpCode.CreateTtl, new CreateTTLTxn { Path = "/ttl", Data = [1], Acl = Open(), ParentCVersion = w.NextCversion("/ttl"), Ttl = 60000 });
            w.Add(OpCode.CreateContainer, new CreateContainerTxn { Path = "/container", Data = [2], Acl = Open(), ParentCVersion = w.NextCversion("/container") });
            w.Create("/container/child", []);
            w.SetData("/app", "changed"u8.ToArray());
            w.SetData("/app", null);
            w.Add(OpCode.SetAcl, new SetACLTxn { Path = "/app/config", Acl = [Acl(Perms.Read | Perms.Write, "ip", "127.0.0.1")], Version = 1 });
            w.Add(OpCode.Error, new ErrorTxn { Err = (int)ErrorCode.NodeExists }, withDigest: false);
            var multiCreate = new CreateTxn { Path = "/multi", Data = "m"u8.ToArray(), Acl = Open(), ParentCVersion = w.NextCversion("/multi") };
            w.Add(OpCode.Multi, new MultiTxn
            {
                Txns =
                [
                    Sub(OpCode.Create, multiCreate),
                    Sub(OpCode.Check, new CheckVersionTxn { Path = "/app", Version = 3 }),
                    Sub(OpCode.SetData, new SetDataTxn { Path = "/app/config", Data = "x"u8.ToArray(), Version = 1 }),
                ],
            });
            w.Add(OpCode.Multi, new MultiTxn
            {
                Txns =
                [
                    Sub(OpCode.Delete, new DeleteTxn { Path = "/multi" }),
                    Sub(OpCode.Error, new ErrorTxn { Err = (int)ErrorCode.BadVersion }),
                    Sub(OpCode.Error, new ErrorTxn { Err = (int)ErrorCode.RuntimeInconsistency }),
                ],
            });
            db.Commit();
            db.RollLog();
            for (int i = 0; i < 30; i++) w.Create("/bulk-" + i, Encoding.UTF8.GetBytes("value " + i));
            db.TakeSnapshot();
            w.Add(OpCode.Delete, new DeleteTxn { Path = "/container/child" });
            w.Add(OpCode.DeleteContainer, new DeleteTxn { Path = "/container" });
            w.Add(OpCode.Delete, new DeleteTxn { Path = "/app/lock-0000000001" });
            w.Add(OpCode.CloseSession, new CloseSessionTxn { Paths2Delete = ["/app/member"] }, session: 0x1000002);
            for (int i = 0; i < 10; i++) w.SetData("/bulk-" + i, [(byte)i]);
            db.Commit();
        }
        finally
        {
            db.Close();
        }
        return w.Count;
    }

    /// <summary>Runs <paramref name="action"/> with snappy-java (Java's snappy streams) on the probe's classpath.</summary>
    private T WithSnappyJava<T>(Func<T> action)
    {
        string classpath = _classpath;
        _classpath += Path.PathSeparator + DebianFiles.RequireJar("snappy-java.jar", "libsnappy-java");
        try
        {
            return action();
        }
        finally
        {
            _classpath = classpath;
        }
    }

    // ---- Java writes, ZkCompat reads -----------------------------------------------------------

    [Test]
    public async Task ZkCompatRestoresWhatAJavaServerWrote()
    {
        string copy = NewDir("java-written");
        await WriteEveryKindWithJavaServerAsync(copy);

        string javas = JavaDump(copy);
        string ours = BuiltServerPersistence.Dump(copy);
        Assert.That(ours, Is.EqualTo(javas), "ZkCompat's restore of Java's files differs from Java's own");
        Assert.That(ours, Does.Contain("/kinds/ephemeral ").And.Contain("/kinds/ttl ").And.Contain("/kinds/sequential-0000000002 "));
    }

    [TestCase("gz")]
    [TestCase("snappy")]
    public async Task ZkCompatReadsJavaCompressedSnapshots(string method)
    {
        string copy = NewDir("java-" + method);
        await WriteEveryKindWithJavaServerAsync(copy);
        string before = JavaDump(copy);

        // Java restores and writes a snapshot of the whole tree in the compressed format; with
        // only that snapshot and no logs left, the compressed file alone must give the same tree.
        var jvm = method == "snappy"
            ? new[] { "-Dzookeeper.snapshot.compression.method=snappy" }
            : ["-Dzookeeper.snapshot.compression.method=" + method];
        WithSnappyJava(() => Java("PersistenceProbe", ["resave", copy, copy], jvm).EnsureSuccess("Java resave " + method));
        string versionDir = Path.Combine(copy, "version-2");
        var compressed = Directory.GetFiles(versionDir, "snapshot.*." + method);
        Assert.That(compressed, Has.Length.EqualTo(1));
        foreach (string f in Directory.GetFiles(versionDir))
        {
            if (f != compressed[0]) File.Delete(f);
        }

        string ours = BuiltServerPersistence.Dump(copy);
        Assert.That(ours, Is.EqualTo(before));
    }

    /// <summary>
    /// Runs a stock Java server with a small snapCount (so it rolls logs and takes snapshots while
    /// writing), writes nodes of every kind through a client, and copies its data directory.
    /// </summary>
    private static async Task WriteEveryKindWithJavaServerAsync(string copyTo)
    {
        await using var server = await ZooKeeperProcesses.StartAsync(ServerKind.Java, cfg =>
        {
            cfg.ExtendedTypesEnabled = true;
            cfg.Set("snapCount", "20");
        });
        var open = Acls.OpenAclUnsafe;
        var keeper = await ConnectWhenServingAsync(server);
        try
        {
            await using var other = await ConnectWhenServingAsync(server);
            await keeper.CreateAsync("/kinds", "parent"u8.ToArray(), open);
            await keeper.CreateAsync("/kinds/persistent", [1, 2, 3], open);
            await keeper.CreateAsync("/kinds/ephemeral", "e"u8.ToArray(), open, CreateMode.Ephemeral);
            for (int i = 0; i < 3; i++) await keeper.CreateAsync("/kinds/sequential-", [(byte)i], open, CreateMode.PersistentSequential);
            await keeper.CreateAsync("/kinds/ephemeral-seq-", [], open, CreateMode.EphemeralSequential);
            await keeper.CreateAsync("/kinds/container", [], open, CreateMode.Container);
            await keeper.CreateAsync("/kinds/container/child", [], open);
            await keeper.CreateAsync("/kinds/ttl", [9], open, CreateMode.PersistentWithTtl, ttl: 3_600_000);
            await keeper.AddAuthAsync("digest", "user:secret"u8.ToArray());
            await keeper.CreateAsync("/kinds/secure", "s"u8.ToArray(), [new ACL((int)Perms.All, new Id("auth", ""))]);
            await keeper.Create2Async("/kinds/create2", null, open);
            await keeper.SetDataAsync("/kinds/persistent", "changed"u8.ToArray());
            await keeper.SetAclAsync("/kinds/persistent", [new ACL((int)(Perms.Read | Perms.Write), new Id("world", "anyone"))]);
            Assert.That(async () => await keeper.CreateAsync("/kinds/persistent", [], open), Throws.Exception, "an error txn");
            await keeper.MultiAsync([new Op.Create("/kinds/multi", [7], open), new Op.SetData("/kinds", "p2"u8.ToArray())]);
            _ = await keeper.MultiAsync([new Op.Create("/kinds/never", [], open), new Op.Check("/kinds", 99)]).ContinueWith(t => t.Exception);
            await keeper.DeleteAsync("/kinds/container/child");
            await other.CreateAsync("/kinds/other-ephemeral", [], open, CreateMode.Ephemeral);
            await other.CreateAsync("/kinds/other-persistent", [], open);
            for (int i = 0; i < 40; i++) await keeper.SetDataAsync("/kinds/persistent", Encoding.UTF8.GetBytes("round " + i));
            await other.CloseAsync();
            await keeper.SyncAsync("/");
            await keeper.GetDataAsync("/kinds");

            // Everything acknowledged is on disk; the keeper's session and ephemerals stay open.
            CopyDirectory(server.DataDir, copyTo);
        }
        finally
        {
            await keeper.DisposeAsync();
        }
    }

    /// <summary>
    /// Java answers ruok (the rig's readiness check) before its ZooKeeperServer runs, and closes
    /// sessions opened in that window ("ZooKeeperServer not running"): retry, asking srvr between tries.
    /// </summary>
    private static async Task<ZooKeeperClient> ConnectWhenServingAsync(IZooKeeperProcess server)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await ZooKeeperClient.ConnectAsync(server.ConnectString);
            }
            catch (KeeperException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await server.FourLetterWordAsync("srvr");
            }
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal), overwrite: true);
    }

    private static List<ACL> Open() => [new ACL((int)Perms.All, new Id("world", "anyone"))];

    private static ACL Acl(Perms perms, string scheme, string id) => new((int)perms, new Id(scheme, id));

    private static Txn Sub(OpCode type, IJuteRecord body) => new() { Type = (int)type, Data = JuteSerializer.ToArray(body) };

    /// <summary>Builds txns as the processors would: parent cversion + 1, data version + 1.</summary>
    private sealed class TxnWriter(BuiltServerPersistence db)
    {
        private long _zxid = 0;

        public int Count { get; private set; }

        public int NextCversion(string path)
        {
            string parent = path[..path.LastIndexOf('/')];
            return db.StoredCversion(parent.Length == 0 ? "/" : parent) + 1;
        }

        public void Add(OpCode type, IJuteRecord? txn, long session = 0, bool withDigest = true)
        {
            var header = new TxnHeader { ClientId = session, Cxid = Count + 1, Zxid = ++_zxid, Time = 1_700_000_000_000 + _zxid, Type = (int)type };
            db.Apply(header, txn, withDigest);
            Count++;
        }

        public void CreateSession(long session, int timeout) => Add(OpCode.CreateSession, new CreateSessionTxn { TimeOut = timeout }, session);

        public void Create(string path, byte[]? data, long session = 0, OpCode type = OpCode.Create, List<ACL>? acl = null) =>
            Add(type, new CreateTxn { Path = path, Data = data, Acl = acl ?? Open(), Ephemeral = session != 0, ParentCVersion = NextCversion(path) }, session);

        public void SetData(string path, byte[]? data) =>
            Add(OpCode.SetData, new SetDataTxn { Path = path, Data = data, Version = db.StoredVersion(path, "Version") + 1 });
    }
}
