using System.Buffers;
using System.IO.Pipelines;
using System.Reflection;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Protocol.Txn;
using ZkCompat.TestSupport;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// The SNAP stream of Zab synchronisation against Java's own code (<c>java/SnapStreamProbe.java</c>:
/// <c>ZKDatabase.serializeSnapshot</c> + "BenWasHere" as LearnerHandler writes it,
/// <c>ZKDatabase.deserializeSnapshot</c> + the signature check as Learner reads it), with a file
/// standing in for the quorum socket and an UPTODATE packet after the stream. The built server's
/// <c>SnapStream</c> is driven through reflection, as <see cref="BuiltServerPersistence"/> does.
/// </summary>
[TestFixture]
[Category("Interop")]
public sealed class SnapStreamInteropTests
{
    private static readonly TimeSpan JavaTimeout = TimeSpan.FromMinutes(2);

    private static readonly (string Jar, string Package)[] Jars =
    [
        ("zookeeper.jar", "libzookeeper-java"),
        ("zookeeper-jute.jar", "libzookeeper-java"),
        ("slf4j-api.jar", "libslf4j-java"),
        ("slf4j-nop.jar", "libslf4j-java"),
    ];

    private static readonly byte[] UpToDate = JuteSerializer.ToArray(new QuorumPacket(12, -1, null, null));

    private string _tempDir = null!;
    private string _classpath = null!;
    private string _javaStream = null!;
    private string _javaPrint = null!;

    [OneTimeSetUp]
    public void CompileProbeAndSend()
    {
        _tempDir = Path.Combine(Path.GetTempPath(), "zkcompat-snapstream-interop-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_tempDir);
        string probe = Path.Combine(TestContext.CurrentContext.TestDirectory, "java", "SnapStreamProbe.java");
        // Its canonical print is PersistenceProbe's, the form DataDirDump prints too.
        string printer = Path.Combine(RepoPaths.Root, "interop-tests", "ZkCompat.InteropTests", "Persistence", "java", "PersistenceProbe.java");
        string classes = Path.Combine(_tempDir, "classes");
        string jars = DebianFiles.Classpath(Jars);
        JavaEnvironment.Default.CompileJava([probe, printer], jars, classes, JavaTimeout).EnsureSuccess("javac SnapStreamProbe.java");
        _classpath = classes + Path.PathSeparator + jars;

        _javaStream = Path.Combine(_tempDir, "java.snap");
        _javaPrint = Probe("send", _javaStream).EnsureSuccess("Java SnapStreamProbe send").StdOut;
    }

    [OneTimeTearDown]
    public void DeleteTempDir()
    {
        if (_tempDir is not null && Directory.Exists(_tempDir)) Directory.Delete(_tempDir, recursive: true);
    }

    private ProcessResult Probe(string mode, string file) =>
        JavaEnvironment.Default.RunJava(_classpath, "SnapStreamProbe", [mode, file], JavaTimeout, ["-Dzookeeper.extendedTypesEnabled=true"]);

    [Test]
    public async Task ZkCompatLoadsJavasStreamAndLeavesTheNextPacket()
    {
        await using var file = File.OpenRead(_javaStream);
        var reader = PipeReader.Create(file);
        var (tree, sessions) = await BuiltSnapStream.ReadAsync(reader);

        Assert.That(BuiltSnapStream.Format(tree, sessions), Is.EqualTo(_javaPrint), "ZkCompat's load of Java's SNAP stream differs from Java's tree");
        Assert.That(_javaPrint, Does.Contain("/ttl ").And.Contain("/container/child ").And.Contain("/app/member-0000000002 data=null")
            .And.Contain("session 0x7000000000000003 12000"));

        // Exactly the UPTODATE packet is left: nothing of it was consumed, nothing of the stream remains.
        byte[] rest = await ReadToEndAsync(reader);
        Assert.That(rest, Is.EqualTo(UpToDate));
    }

    [Test]
    public async Task ZkCompatSendsBackJavasBytesAndJavaLoadsThem()
    {
        object tree, sessions;
        await using (var file = File.OpenRead(_javaStream))
        {
            (tree, sessions) = await BuiltSnapStream.ReadAsync(PipeReader.Create(file));
        }

        string ours = Path.Combine(_tempDir, "zkcompat.snap");
        await using (var output = File.Create(ours))
        {
            await BuiltSnapStream.WriteAsync(output, tree, sessions);
            await output.WriteAsync(UpToDate);
        }

        // Loaded in Java's order and written in the order loaded: byte for byte what Java sent.
        Assert.That(await File.ReadAllBytesAsync(ours), Is.EqualTo(await File.ReadAllBytesAsync(_javaStream)));
        string javas = Probe("receive", ours).EnsureSuccess("Java SnapStreamProbe receive of ZkCompat's stream").StdOut;
        Assert.That(javas, Is.EqualTo(_javaPrint));
    }

    [Test]
    public async Task JavaLoadsAStreamOfATreeZkCompatBuilt()
    {
        // Built by ZkCompat's txn apply, so every map holds ZkCompat's own order, not Java's.
        var (tree, sessions) = BuiltSnapStream.BuildEveryKind();
        string ours = BuiltSnapStream.Format(tree, sessions);
        Assert.That(ours, Does.Contain("/ttl ").And.Contain("/container/child ").And.Contain("/app/lock-0000000001 ")
            .And.Contain("ephemeralOwner=0x8000000000000000"));

        string file = Path.Combine(_tempDir, "zkcompat-built.snap");
        await using (var output = File.Create(file))
        {
            await BuiltSnapStream.WriteAsync(output, tree, sessions);
            await output.WriteAsync(UpToDate);
        }
        string javas = Probe("receive", file).EnsureSuccess("Java SnapStreamProbe receive of ZkCompat's stream").StdOut;
        Assert.That(javas, Is.EqualTo(ours), "Java's load of ZkCompat's SNAP stream differs from ZkCompat's tree");
    }

    [Test]
    public async Task ZkCompatRejectsJavasStreamWithAnotherSignature()
    {
        byte[] bytes = await File.ReadAllBytesAsync(_javaStream);
        int signatureEnd = bytes.Length - UpToDate.Length;
        bytes[signatureEnd - 1] ^= 0x20; // "BenWasHerE"
        var e = Assert.ThrowsAsync(Is.InstanceOf<IOException>(), () => BuiltSnapStream.ReadAsync(PipeReader.Create(new MemoryStream(bytes))));
        Assert.That(e!.GetType().Name, Is.EqualTo("CorruptDataException"));
        Assert.That(e.Message, Does.Contain("Missing signature. Got BenWasHerE"));
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader reader)
    {
        while (true)
        {
            var result = await reader.ReadAsync();
            if (result.IsCompleted)
            {
                byte[] rest = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                await reader.CompleteAsync();
                return rest;
            }
            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>The built server's <c>SnapStream</c>, <c>DataTree</c> and <c>DataDirDump</c>, by reflection.</summary>
    private static class BuiltSnapStream
    {
        private static readonly Lazy<Assembly> LazyAssembly = new(() => Assembly.LoadFrom(ZkCompatServerProcess.LocateDll()));

        private static Type Type(string name) => LazyAssembly.Value.GetType(name, throwOnError: true)!;

        private static Type SnapStream => Type("ZkCompat.Server.Persistence.SnapStream");

        private static Type DataTree => Type("ZkCompat.Server.Data.DataTree");

        /// <summary><c>SnapStream.ReadAsync(PipeReader, JuteLimits, extendedTypesEnabled: true, ct)</c>.</summary>
        public static async Task<(object Tree, object Sessions)> ReadAsync(PipeReader reader)
        {
            var method = SnapStream.GetMethod("ReadAsync", [typeof(PipeReader), typeof(JuteLimits), typeof(bool), typeof(CancellationToken)])!;
            var task = (Task)Invoke(method, null, reader, JuteLimits.Default, true, CancellationToken.None)!;
            await task;
            object content = task.GetType().GetProperty("Result")!.GetValue(task)!;
            return (Get(content, "Tree"), Get(content, "Sessions"));
        }

        /// <summary><c>SnapStream.WriteAsync(Stream, DataTree, sessions, ct)</c>.</summary>
        public static Task WriteAsync(Stream output, object tree, object sessions)
        {
            var method = SnapStream.GetMethod("WriteAsync")!;
            return (Task)Invoke(method, null, output, tree, sessions, CancellationToken.None)!;
        }

        /// <summary><c>DataDirDump.Format(tree, sessions, zxid 0)</c>: the form PersistenceProbe prints.</summary>
        public static string Format(object tree, object sessions)
        {
            var method = Type("ZkCompat.Server.Persistence.DataDirDump").GetMethod("Format")!;
            return (string)Invoke(method, null, tree, sessions, 0L)!;
        }

        /// <summary>
        /// A tree and sessions built by applying txns of every node kind with the built server's
        /// <c>FileTxnSnapLog.ProcessTransaction</c>, as a leader's database is.
        /// </summary>
        public static (object Tree, object Sessions) BuildEveryKind()
        {
            object tree = Activator.CreateInstance(DataTree, [true, false])!;
            var sessions = new Dictionary<long, int>();
            var apply = Type("ZkCompat.Server.Persistence.FileTxnSnapLog").GetMethod("ProcessTransaction")!;
            var entryType = Type("ZkCompat.Server.Persistence.TxnLogEntry");
            long zxid = 0x200000000;
            void Add(OpCode type, IJuteRecord txn, long session = 0)
            {
                var header = new TxnHeader { ClientId = session, Cxid = 1, Zxid = ++zxid, Time = 1_700_000_000_000 + zxid, Type = (int)type };
                Invoke(apply, null, tree, sessions, Activator.CreateInstance(entryType, header, txn, null));
            }
            List<ACL> Open() => [new ACL((int)Perms.All, new Id("world", "anyone"))];
            CreateTxn Create(string path, byte[]? data, bool ephemeral = false, List<ACL>? acl = null) =>
                new() { Path = path, Data = data, Acl = acl ?? Open(), Ephemeral = ephemeral, ParentCVersion = -1 };

            Add(OpCode.CreateSession, new CreateSessionTxn { TimeOut = 30000 }, 0x1000001);
            Add(OpCode.CreateSession, new CreateSessionTxn { TimeOut = 4000 }, 0x1000002);
            Add(OpCode.Create, Create("/app", "root of app"u8.ToArray()));
            Add(OpCode.Create2, Create("/app/config", [0, 1, 2, 255]));
            Add(OpCode.Create, Create("/app/lock-0000000001", [], ephemeral: true), 0x1000001);
            Add(OpCode.Create, Create("/app/member-0000000002", null, ephemeral: true), 0x1000002);
            var mixed = new List<ACL> { new((int)Perms.All, new Id("digest", "user:Ys4/gh9VjDgZOpE3bMtbKZQ6vM4=")), new((int)Perms.Read, new Id("world", "anyone")) };
            Add(OpCode.Create, Create("/secure", "s"u8.ToArray(), acl: mixed));
            Add(OpCode.Create, Create("/secure2", "t"u8.ToArray(), acl: mixed));
            Add(OpCode.CreateTtl, new CreateTTLTxn { Path = "/ttl", Data = [1], Acl = Open(), ParentCVersion = -1, Ttl = 60000 });
            Add(OpCode.CreateContainer, new CreateContainerTxn { Path = "/container", Data = [2], Acl = Open(), ParentCVersion = -1 });
            Add(OpCode.Create, Create("/container/child", []));
            var large = new byte[400_000];
            new Random(3).NextBytes(large);
            Add(OpCode.Create, Create("/large", large));
            for (int i = 0; i < 200; i++)
            {
                Add(OpCode.Create, Create("/bulk-" + i, System.Text.Encoding.UTF8.GetBytes("value " + i)));
                Add(OpCode.Create, Create("/bulk-" + i + "/leaf", null));
            }
            Add(OpCode.SetData, new SetDataTxn { Path = "/app", Data = "changed"u8.ToArray(), Version = 1 });
            Add(OpCode.SetAcl, new SetACLTxn { Path = "/app/config", Acl = [new ACL((int)(Perms.Read | Perms.Write), new Id("ip", "127.0.0.1"))], Version = 1 });
            Add(OpCode.Delete, new DeleteTxn { Path = "/bulk-7/leaf" });
            return (tree, sessions);
        }

        private static object Get(object target, string property) => target.GetType().GetProperty(property)!.GetValue(target)!;

        private static object? Invoke(MethodInfo method, object? target, params object?[] args)
        {
            try
            {
                return method.Invoke(target, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }
    }
}
