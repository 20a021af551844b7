using System.Text;
using NUnit.Framework;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.TestSupport;

namespace ZkCompat.InteropTests;

/// <summary>
/// Compiles java/JuteGolden.java against Debian's zookeeper-jute jar, lets Java's
/// <c>BinaryOutputArchive</c> produce the golden bytes afresh, and checks that (a) they are the
/// checked-in golden file, (b) ZkCompat produces the same bytes for every record, variant and string
/// case, and (c) Java's <c>BinaryInputArchive</c> decodes ZkCompat's bytes back to Java's own samples.
/// </summary>
[TestFixture]
[Category("Interop")]
public class JuteGoldenInteropTests
{
    private static readonly string[] Jars = ["zookeeper-jute.jar", "zookeeper.jar"];
    private static readonly TimeSpan JavaTimeout = TimeSpan.FromMinutes(2);

    private JavaEnvironment _java = null!;
    private string _tempDir = null!;
    private string _classpath = null!;
    private string _javaGoldenText = null!;

    [OneTimeSetUp]
    public void CompileAndGenerate()
    {
        _java = JavaEnvironment.Default;
        string source = Path.Combine(TestContext.CurrentContext.TestDirectory, "java", "JuteGolden.java");
        Assert.That(File.Exists(source), Is.True, $"{source} should have been copied next to the test assembly");

        _tempDir = Path.Combine(Path.GetTempPath(), "zkcompat-jute-golden-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_tempDir);
        string classes = Path.Combine(_tempDir, "classes");
        string jarClasspath = _java.Classpath(Jars);

        _java.CompileJava([source], jarClasspath, classes, JavaTimeout).EnsureSuccess("javac JuteGolden.java");
        _classpath = classes + Path.PathSeparator + jarClasspath;

        string javaGolden = Path.Combine(_tempDir, "java-golden.txt");
        RunJuteGolden("generate", javaGolden).EnsureSuccess("JuteGolden generate");
        _javaGoldenText = File.ReadAllText(javaGolden, Encoding.UTF8);
    }

    [OneTimeTearDown]
    public void DeleteTempDir()
    {
        if (_tempDir is not null && Directory.Exists(_tempDir))
            Directory.Delete(_tempDir, recursive: true);
    }

    [Test]
    public void JavaOutput_EqualsCheckedInGoldenFile()
    {
        var fresh = GoldenFile.DataLines(_javaGoldenText);
        var checkedIn = GoldenFile.DataLines(File.ReadAllText(RepoPaths.GoldenFile, Encoding.UTF8));

        for (int i = 0; i < Math.Min(fresh.Count, checkedIn.Count); i++)
        {
            if (fresh[i] != checkedIn[i])
            {
                Assert.Fail($"data line {i + 1} of {RepoPaths.GoldenFile} is stale; regenerate it with JuteGolden.java.\n" +
                    $"  java now:   {fresh[i]}\n  checked in: {checkedIn[i]}");
            }
        }
        Assert.That(checkedIn, Has.Count.EqualTo(fresh.Count),
            $"{RepoPaths.GoldenFile} has a different number of data lines than Java's fresh output");
    }

    [Test]
    public void CSharpOutput_EqualsJavaForEveryRecordAndString()
    {
        var java = GoldenFile.Parse(_javaGoldenText);
        var catalog = JuteCatalog.Records.ToDictionary(r => r.FullName);
        var mismatches = new List<string>();

        foreach (var entry in java.Records)
        {
            if (!catalog.TryGetValue(entry.FullName, out var info))
            {
                mismatches.Add($"{entry.FullName} v{entry.Variant}: Java has this record, JuteCatalog does not");
                continue;
            }
            string csharp;
            try
            {
                csharp = Convert.ToHexStringLower(JuteSerializer.ToArray(JuteSamples.Create(info, entry.Variant)));
            }
            catch (Exception e)
            {
                mismatches.Add($"{entry.FullName} v{entry.Variant}: C# threw {e.GetType().Name}: {e.Message}");
                continue;
            }
            string javaHex = Convert.ToHexStringLower(entry.Bytes);
            if (csharp != javaHex)
                mismatches.Add($"{entry.FullName} v{entry.Variant}:\n    java: {javaHex}\n    c#:   {csharp}");
        }
        foreach (var name in catalog.Keys.Except(java.RecordNames))
            mismatches.Add($"{name}: in JuteCatalog but Java generated nothing for it (not in the IDL?)");

        Assert.That(java.Strings, Has.Count.EqualTo(JuteSamples.GoldenStrings.Count), "string cases Java wrote");
        foreach (var entry in java.Strings)
        {
            string csharp = Convert.ToHexStringLower(JuteSamples.EncodeUString(JuteSamples.GoldenStrings[entry.Index]));
            string javaHex = Convert.ToHexStringLower(entry.Bytes);
            if (csharp != javaHex)
                mismatches.Add($"string {entry.Index}:\n    java: {javaHex}\n    c#:   {csharp}");
        }

        if (mismatches.Count > 0)
        {
            Assert.Fail($"{mismatches.Count} of {java.Records.Count + java.Strings.Count} entries differ; first: {mismatches[0]}" +
                (mismatches.Count > 1 ? "\nothers:\n" + string.Join("\n", mismatches.Skip(1).Take(20)) : ""));
        }
    }

    [Test]
    public void JavaVerify_AcceptsCSharpOutput()
    {
        string csharpGolden = Path.Combine(_tempDir, "csharp-golden.txt");
        File.WriteAllText(csharpGolden, JuteSamples.FormatCSharpGolden(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));

        var result = RunJuteGolden("verify", csharpGolden);

        Assert.That(result.Succeeded, Is.True, "Java's BinaryInputArchive rejected ZkCompat's bytes: " + result.Describe());
        int expectedLines = JuteCatalog.Records.Count * JuteSamples.VariantCount + JuteSamples.GoldenStrings.Count;
        Assert.That(result.StdOut, Does.Contain($"verified {expectedLines} lines"), result.Describe());
    }

    private ProcessResult RunJuteGolden(string mode, string file) =>
        _java.RunJava(_classpath, "JuteGolden", [mode, RepoPaths.JuteIdl, file], JavaTimeout);
}
