using NUnit.Framework;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Curator;

/// <summary>
/// Debian's Curator 5.4 recipes (java/CuratorRecipes.java: mutex, leader latch, double barrier,
/// CuratorCache, SharedCount, DistributedQueue) against Java ZooKeeper and against ZkCompat. Every
/// recipe must hold on both, with the same checks reported OK.
/// </summary>
[TestFixture]
[Category("Interop")]
public class CuratorRecipesInteropTests
{
    private const string MainClass = "CuratorRecipes";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    // Curator's jars and what they need at run time; zookeeper.jar's manifest brings netty and the rest.
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

    private static readonly string[] ExpectedChecks =
        ["InterProcessMutex", "LeaderLatch", "DistributedDoubleBarrier", "CuratorCache", "SharedCount", "DistributedQueue"];

    private string _tempDir = null!;
    private string _classpath = null!;

    [OneTimeSetUp]
    public void Compile()
    {
        string source = Path.Combine(TestContext.CurrentContext.TestDirectory, "java", MainClass + ".java");
        Assert.That(File.Exists(source), Is.True, $"{source} should have been copied next to the test assembly");
        string jars = DebianFiles.Classpath(Jars);
        _tempDir = Path.Combine(Path.GetTempPath(), "zkcompat-curator-" + Guid.NewGuid().ToString("N"));
        string classes = Path.Combine(_tempDir, "classes");
        JavaEnvironment.Default.CompileJava([source], jars, classes).EnsureSuccess($"javac {MainClass}.java");
        _classpath = classes + Path.PathSeparator + jars;
    }

    [OneTimeTearDown]
    public void DeleteTempDir()
    {
        if (_tempDir is not null && Directory.Exists(_tempDir)) Directory.Delete(_tempDir, recursive: true);
    }

    [Test]
    public async Task Recipes_HoldOnZkCompatAsOnJava()
    {
        using var cts = new CancellationTokenSource(RunTimeout * 2);
        var (java, zkCompat) = await BothServers.RunAsync(
            server => RunRecipesAsync(server.ConnectString, cts.Token),
            run => AssertAllOk(run, "the recipes program itself or the Java server is broken"),
            cancellationToken: cts.Token);

        AssertAllOk(zkCompat, "ZkCompat breaks a Curator recipe");
        Assert.That(zkCompat.Result.OkChecks, Is.EqualTo(java.Result.OkChecks), "the same checks pass on both servers");
    }

    private static void AssertAllOk(ServerRun<RecipesResult> run, string meaning)
    {
        RecipesResult r = run.Result;
        bool allOk = r.ExitCode == 0 && r.OkChecks.SequenceEqual(ExpectedChecks);
        if (!allOk)
        {
            Assert.Fail(
                $"Curator recipes against {run.Kind} ({meaning}): exit code {r.ExitCode?.ToString() ?? "none (timed out)"}, " +
                $"OK: [{string.Join(", ", r.OkChecks)}], expected OK: [{string.Join(", ", ExpectedChecks)}]\n" +
                $"--- CuratorRecipes output ---\n{r.Output}\n--- {run.Kind} server log (tail) ---\n{run.LogTail()}");
        }
    }

    private async Task<RecipesResult> RunRecipesAsync(string connectString, CancellationToken cancellationToken)
    {
        await using var process = ChildProcess.Start(JavaEnvironment.Default.Java,
            ["-Dfile.encoding=UTF-8", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", _classpath, MainClass, connectString]);
        bool exited = await process.WaitForExitAsync(RunTimeout, cancellationToken).ConfigureAwait(false);
        if (!exited) await process.KillAsync().ConfigureAwait(false);
        var lines = process.LinesFrom(0);
        var ok = lines.Where(l => l.StartsWith("OK ", StringComparison.Ordinal)).Select(l => l[3..].Trim()).ToList();
        return new RecipesResult(exited ? process.ExitCode : null, ok, process.Output);
    }

    /// <summary>Exit code (null when killed on timeout), the names of the checks reported OK, all output.</summary>
    public sealed record RecipesResult(int? ExitCode, IReadOnlyList<string> OkChecks, string Output);
}
