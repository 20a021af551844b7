using System.Reflection;
using ZkCompat.Jute;
using ZkCompat.Protocol.Txn;
using ZkCompat.InteropTests.Servers;
using ZkCompat.TestSupport;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// The persistence code of the built server (<c>zkcompat.dll</c>, found like the server process
/// tests find it), driven through reflection: interop tests depend on the built server, not on
/// its project. The calls go to public API only: <c>ZkDatabase</c>, <c>DataDirDump</c>.
/// </summary>
internal sealed class BuiltServerPersistence
{
    private const string TargetFramework = "net10.0";
    private static readonly Lazy<Assembly> LazyAssembly = new(Load);

    private readonly object _db;
    private readonly Type _dbType;

    /// <summary>Opens (creating if needed) a database in <paramref name="dataDir"/> and loads it.</summary>
    public BuiltServerPersistence(string dataDir, string? compression = null)
    {
        var asm = LazyAssembly.Value;
        var optionsType = asm.GetType("ZkCompat.Server.Config.ServerOptions", throwOnError: true)!;
        object options = Activator.CreateInstance(optionsType)!;
        Set(options, "DataDir", dataDir);
        Set(options, "ExtendedTypesEnabled", true);
        Set(options, "PreAllocSizeKb", 64L);
        if (compression is not null)
            Set(options, "SystemProperties", new Dictionary<string, string> { ["zookeeper.snapshot.compression.method"] = compression });
        _dbType = asm.GetType("ZkCompat.Server.Persistence.ZkDatabase", throwOnError: true)!;
        _db = Activator.CreateInstance(_dbType, options)!;
        Call(_db, "LoadDataBase");
    }

    private object Tree => Get(_db, "Tree");

    public long TreeDigest => (long)Get(Tree, "TreeDigest");

    /// <summary>The stored cversion of a node (creates under it so far), for building the next create.</summary>
    public int StoredCversion(string path)
    {
        object? node = Tree.GetType().GetMethod("GetNode", [typeof(string)])!.Invoke(Tree, [path]);
        if (node is null) return 0;
        return (int)Get(Get(node, "Stat"), "Cversion");
    }

    public int StoredVersion(string path, string field)
    {
        object? node = Tree.GetType().GetMethod("GetNode", [typeof(string)])!.Invoke(Tree, [path]);
        return node is null ? 0 : (int)Get(Get(node, "Stat"), field);
    }

    /// <summary>Applies a txn as the server does, then logs it with the digest of the tree after it.</summary>
    public void Apply(TxnHeader header, IJuteRecord? txn, bool withDigest = true)
    {
        var asm = LazyAssembly.Value;
        var entryType = asm.GetType("ZkCompat.Server.Persistence.TxnLogEntry", throwOnError: true)!;
        object entry = Activator.CreateInstance(entryType, header, txn, null)!;
        var snapLogType = asm.GetType("ZkCompat.Server.Persistence.FileTxnSnapLog", throwOnError: true)!;
        snapLogType.GetMethod("ProcessTransaction")!.Invoke(null, [Tree, Get(_db, "SessionsWithTimeouts"), entry]);
        var digest = withDigest ? new TxnDigest { Version = 2, TreeDigest = TreeDigest } : null;
        Call(Get(_db, "TxnLog"), "Append", header, txn, digest);
    }

    public void Commit() => Call(Get(_db, "TxnLog"), "Commit");

    public void RollLog() => Call(_db, "RollLog");

    public void TakeSnapshot() => _dbType.GetMethod("TakeSnapshot")!.Invoke(_db, [false]);

    public void Close() => Call(_db, "Dispose");

    /// <summary><c>DataDirDump</c>: the built server's canonical print of a restore of <paramref name="dataDir"/>.</summary>
    public static string Dump(string dataDir, string? dataLogDir = null)
    {
        var dump = LazyAssembly.Value.GetType("ZkCompat.Server.Persistence.DataDirDump", throwOnError: true)!;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = (int)dump.GetMethod("RunCommand")!.Invoke(null, [new[] { dataDir, dataLogDir ?? dataDir }, stdout, stderr])!;
        Assert.That(rc, Is.Zero, "zkcompat dump failed: " + stderr);
        return stdout.ToString();
    }

    private static void Set(object target, string property, object value) =>
        target.GetType().GetProperty(property)!.SetValue(target, value);

    private static object Get(object target, string property) =>
        target.GetType().GetProperty(property)!.GetValue(target)!;

    private static object? Call(object target, string method, params object?[] args)
    {
        var candidates = target.GetType().GetMethods().Where(m => m.Name == method && m.GetParameters().Length == args.Length).ToList();
        Assert.That(candidates, Has.Count.EqualTo(1), $"{target.GetType().Name}.{method}/{args.Length}");
        try
        {
            return candidates[0].Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    private static Assembly Load()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(ZkCompatServerProcess.DllVariable);
        string dll = !string.IsNullOrWhiteSpace(fromEnvironment)
            ? fromEnvironment
            : Path.Combine(RepoPaths.Root, "src", "ZkCompat.Server", "bin", ZkCompatServerProcess.TestConfiguration, TargetFramework, "zkcompat.dll");
        if (!File.Exists(dll))
        {
            Assert.Fail($"The ZkCompat server is not built: '{dll}' does not exist. Build it in the same configuration as the tests " +
                $"(dotnet build src/ZkCompat.Server -c {ZkCompatServerProcess.TestConfiguration}), or set {ZkCompatServerProcess.DllVariable}.");
        }
        return Assembly.LoadFrom(dll);
    }
}
