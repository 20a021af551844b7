using NUnit.Framework;

namespace ZkCompat.InteropTests.Support;

/// <summary>
/// The stock Debian files the interop rig runs: jars (looked up where <see cref="JavaEnvironment"/> looks),
/// the <c>zkCli.sh</c> script and the C client <c>cli_mt</c>. A missing file fails the test with the
/// Debian package that ships it; interop tests are never skipped.
/// </summary>
public static class DebianFiles
{
    /// <summary>Overrides the path of <c>zkCli.sh</c>.</summary>
    public const string ZkCliVariable = "ZKCOMPAT_ZKCLI";

    /// <summary>Overrides the path of <c>cli_mt</c>.</summary>
    public const string CliMtVariable = "ZKCOMPAT_CLI_MT";

    public const string DefaultZkCli = "/usr/share/zookeeper/bin/zkCli.sh";
    public const string DefaultCliMt = "/usr/lib/zookeeper/bin/cli_mt";

    /// <summary>Debian's stock ZooKeeper 3.8 shell (package <c>zookeeper</c>).</summary>
    public static string ZkCli => RequireFile(FromEnvironment(ZkCliVariable, DefaultZkCli), "zookeeper", ZkCliVariable);

    /// <summary>The multi-threaded C client shell (package <c>zookeeper-bin</c>).</summary>
    public static string CliMt => RequireFile(FromEnvironment(CliMtVariable, DefaultCliMt), "zookeeper-bin", CliMtVariable);

    /// <summary>The path of <paramref name="jarName"/> in the jar directory; fails naming <paramref name="package"/> if absent.</summary>
    public static string RequireJar(string jarName, string package)
    {
        string dir = JavaEnvironment.Default.LibDirectory;
        string path = Path.Combine(dir, jarName);
        if (!File.Exists(path))
        {
            Assert.Fail(
                $"Required jar '{path}' is missing. Install the Debian package '{package}' (sudo apt-get install {package}), " +
                $"or point {JavaEnvironment.LibDirectoryVariable} at a directory holding {jarName}.");
        }
        return path;
    }

    /// <summary>A classpath of jars, each given with the Debian package that ships it.</summary>
    public static string Classpath(IEnumerable<(string Jar, string Package)> jars, params string[] extraEntries) =>
        string.Join(Path.PathSeparator, extraEntries.Concat(jars.Select(j => RequireJar(j.Jar, j.Package))));

    private static string RequireFile(string path, string package, string variable)
    {
        if (!File.Exists(path))
        {
            Assert.Fail(
                $"Required file '{path}' is missing. Install the Debian package '{package}' (sudo apt-get install {package}), " +
                $"or set {variable} to its location.");
        }
        return path;
    }

    private static string FromEnvironment(string variable, string fallback)
    {
        string? value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(value) ? fallback : value;
    }
}
