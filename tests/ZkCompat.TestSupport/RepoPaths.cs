namespace ZkCompat.TestSupport;

/// <summary>Well-known files of the source tree, found by walking up from the test binaries.</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    /// <summary>The repository root: the first ancestor holding <c>ZkCompat.sln</c> or <c>jute/zookeeper.jute</c>.</summary>
    public static string Root => LazyRoot.Value;

    /// <summary>The jute IDL every record is generated from.</summary>
    public static string JuteIdl => Path.Combine(Root, "jute", "zookeeper.jute");

    /// <summary>The checked-in golden bytes produced by Java's <c>BinaryOutputArchive</c>.</summary>
    public static string GoldenFile => Path.Combine(Root, "tests", "ZkCompat.Tests", "Golden", "jute-golden.txt");

    private static string FindRoot()
    {
        string start = AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ZkCompat.sln"))
                || File.Exists(Path.Combine(dir.FullName, "jute", "zookeeper.jute")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException(
            $"No ancestor of '{start}' contains ZkCompat.sln or jute/zookeeper.jute; run the tests from inside the repository.");
    }
}
