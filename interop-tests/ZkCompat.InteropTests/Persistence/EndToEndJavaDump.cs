using ZkCompat.InteropTests.Support;
using ZkCompat.TestSupport;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// Java's own restore of a data directory (<c>java/PersistenceProbe.java</c> over Java's
/// <c>FileTxnSnapLog</c>), printed in the canonical form of ZkCompat's <c>DataDirDump</c>. It shows
/// what a client cannot see, such as the TTL that a TTL node's Stat hides (clients get ephemeralOwner 0).
/// Compiled once per process, on first use.
/// </summary>
internal static class EndToEndJavaDump
{
    private static readonly TimeSpan JavaTimeout = TimeSpan.FromMinutes(1);

    private static readonly (string Jar, string Package)[] Jars =
    [
        ("zookeeper.jar", "libzookeeper-java"),
        ("zookeeper-jute.jar", "libzookeeper-java"),
        ("slf4j-api.jar", "libslf4j-java"),
        ("slf4j-nop.jar", "libslf4j-java"),
    ];

    private static readonly Lazy<string> LazyClasspath = new(Compile, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Java's restore of <paramref name="dataDir"/>; fails the test if Java cannot restore it.</summary>
    public static string Dump(string dataDir) =>
        JavaEnvironment.Default.RunJava(LazyClasspath.Value, "PersistenceProbe", ["dump", dataDir, dataDir], JavaTimeout,
                ["-Dzookeeper.extendedTypesEnabled=true"])
            .EnsureSuccess("Java FileTxnSnapLog restore of " + dataDir).StdOut;

    private static string Compile()
    {
        string source = Path.Combine(RepoPaths.Root, "interop-tests", "ZkCompat.InteropTests", "Persistence", "java", "PersistenceProbe.java");
        string classes = Path.Combine(Path.GetTempPath(), "zkcompat-e2e-probe-" + Guid.NewGuid().ToString("N"));
        string jars = DebianFiles.Classpath(Jars);
        JavaEnvironment.Default.CompileJava([source], jars, classes, JavaTimeout).EnsureSuccess("javac PersistenceProbe.java");
        // The classes are tiny; removed when the test process ends.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(classes, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return classes + Path.PathSeparator + jars;
    }
}
