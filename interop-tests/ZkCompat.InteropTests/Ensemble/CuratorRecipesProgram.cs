using ZkCompat.InteropTests.Curator;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>
/// The Curator recipes program of the standalone Curator tests (<c>java/CuratorRecipes.java</c>),
/// compiled against Debian's jars and run against an ensemble's connect string.
/// </summary>
/// <remarks>
/// Each Curator client picks its own server, and ZooKeeper promises a session only its own writes and
/// everything committed before a <c>sync</c>: another session's write reaches this session's server a
/// moment after it was acknowledged. Three checks of the program read other sessions' writes without a
/// sync, which a standalone server never shows but an ensemble does (the LeaderLatch participants
/// check failed about once in ten Java runs). <see cref="EnsembleSafe"/> compiles a copy where these
/// reads sync first or wait for the other session's write; every recipe and every other check is
/// the program's own. Once <c>java/CuratorRecipes.java</c> carries these changes itself, the copy is not
/// needed: the source is used as it is when it already defines <c>syncWith</c>.
/// </remarks>
internal sealed class CuratorRecipesProgram : IDisposable
{
    private const string MainClass = "CuratorRecipes";

    /// <summary>What every run must report OK, in this order (as the standalone tests expect).</summary>
    public static readonly IReadOnlyList<string> ExpectedChecks =
        ["InterProcessMutex", "LeaderLatch", "DistributedDoubleBarrier", "CuratorCache", "SharedCount", "DistributedQueue"];

    private static readonly (string Jar, string Package)[] Jars =
    [
        ("curator-recipes.jar", "libcurator-recipes-java"),
        ("curator-framework.jar", "libcurator-framework-java"),
        ("curator-client.jar", "libcurator-client-java"),
        ("guava.jar", "libguava-java"),
        ("zookeeper.jar", "libzookeeper-java"),
        ("zookeeper-jute.jar", "libzookeeper-java"),
        ("slf4j-api.jar", "libslf4j-java"),
        ("slf4j-simple.jar", "libslf4j-java"),
    ];

    private readonly string _tempDir;
    private readonly string _classpath;

    private CuratorRecipesProgram(string tempDir, string classpath)
    {
        _tempDir = tempDir;
        _classpath = classpath;
    }

    /// <summary>
    /// Compiles the program made safe for an ensemble (see the remarks); fails the test if the source,
    /// javac or a jar is missing, if the source no longer has the lines the copy changes, or if it does
    /// not compile.
    /// </summary>
    public static CuratorRecipesProgram Compile()
    {
        string source = Path.Combine(TestContext.CurrentContext.TestDirectory, "java", MainClass + ".java");
        Assert.That(File.Exists(source), Is.True, $"{source} should have been copied next to the test assembly");
        string jars = DebianFiles.Classpath(Jars);
        string tempDir = Path.Combine(Path.GetTempPath(), "zkcompat-ensemble-curator-" + Guid.NewGuid().ToString("N"));
        string sourceCopy = Path.Combine(tempDir, "src", MainClass + ".java");
        Directory.CreateDirectory(Path.GetDirectoryName(sourceCopy)!);
        File.WriteAllText(sourceCopy, EnsembleSafe(File.ReadAllText(source)));
        string classes = Path.Combine(tempDir, "classes");
        JavaEnvironment.Default.CompileJava([sourceCopy], jars, classes).EnsureSuccess($"javac {MainClass}.java (ensemble-safe copy)");
        return new CuratorRecipesProgram(tempDir, classes + Path.PathSeparator + jars);
    }

    /// <summary>The program's source with its reads of other sessions' writes made safe on an ensemble.</summary>
    internal static string EnsembleSafe(string source)
    {
        if (source.Contains("void syncWith(", StringComparison.Ordinal)) return source;
        (string Find, string Replace)[] edits =
        [
            // LeaderLatch: B's node may not have reached A's server (or even been created) when A leads.
            ("            if (latchA.getParticipants().size() != 2) {",
             "            if (!eventually(() -> latchA.getParticipants().size() == 2)) {"),
            // Mutex: B's last setData and lock release went through B's server.
            ("        int counter = Integer.parseInt(new String(a.getData().forPath(counterPath), StandardCharsets.UTF_8));",
             "        syncWith(a, ROOT + \"/mutex\");\n" +
             "        int counter = Integer.parseInt(new String(a.getData().forPath(counterPath), StandardCharsets.UTF_8));"),
            // SharedCount: the reader is a new session, on any server.
            ("            int stored = ByteBuffer.wrap(reader.getData().forPath(path)).getInt();",
             "            syncWith(reader, path);\n" +
             "            int stored = ByteBuffer.wrap(reader.getData().forPath(path)).getInt();"),
            ("    private static byte[] bytes(String s) {",
             """
                 /** Brings the server of the client's session up to the leader's commits (Curator's sync is background only). */
                 private static void syncWith(CuratorFramework client, String path) throws Exception {
                     CountDownLatch done = new CountDownLatch(1);
                     client.sync().inBackground((c, event) -> done.countDown()).forPath(path);
                     if (!done.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                         throw new IllegalStateException("sync of " + path + " did not complete");
                     }
                 }

                 /** Polls a condition on what another session wrote until it holds or WAIT_SECONDS pass. */
                 private static boolean eventually(Callable<Boolean> condition) throws Exception {
                     long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
                     while (!condition.call()) {
                         if (System.nanoTime() > deadline) {
                             return false;
                         }
                         Thread.sleep(20);
                     }
                     return true;
                 }

                 private static byte[] bytes(String s) {
             """.TrimEnd('\n')),
        ];
        foreach (var (find, replace) in edits)
        {
            int first = source.IndexOf(find, StringComparison.Ordinal);
            if (first < 0 || source.IndexOf(find, first + 1, StringComparison.Ordinal) >= 0)
            {
                Assert.Fail($"java/{MainClass}.java no longer has exactly one line '{find.Trim()}'; update " +
                            $"{nameof(CuratorRecipesProgram)}.{nameof(EnsembleSafe)} to the program's new text.");
            }
            source = source.Replace(find, replace, StringComparison.Ordinal);
        }
        return source;
    }

    /// <summary>Runs every recipe against <paramref name="connectString"/>; killed after <paramref name="timeout"/>.</summary>
    public async Task<CuratorRecipesInteropTests.RecipesResult> RunAsync(string connectString, TimeSpan timeout, CancellationToken ct)
    {
        await using var process = ChildProcess.Start(JavaEnvironment.Default.Java,
            ["-Dfile.encoding=UTF-8", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", _classpath, MainClass, connectString]);
        bool exited = await process.WaitForExitAsync(timeout, ct);
        if (!exited) await process.KillAsync();
        var ok = process.LinesFrom(0).Where(l => l.StartsWith("OK ", StringComparison.Ordinal)).Select(l => l[3..].Trim()).ToList();
        return new CuratorRecipesInteropTests.RecipesResult(exited ? process.ExitCode : null, ok, process.Output);
    }

    public void Dispose()
    {
        if (Directory.Exists(_tempDir)) Directory.Delete(_tempDir, recursive: true);
    }
}
