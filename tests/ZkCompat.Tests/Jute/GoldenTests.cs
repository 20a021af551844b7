using NUnit.Framework;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.TestSupport;

namespace ZkCompat.Tests.Jute;

/// <summary>
/// Every generated record against the checked-in golden bytes that Java's
/// <c>BinaryOutputArchive</c> produced (tests/ZkCompat.Tests/Golden/jute-golden.txt, made by
/// interop-tests/ZkCompat.InteropTests/java/JuteGolden.java; the interop tests re-check it against a
/// live JVM). Samples come from <see cref="JuteSamples"/>, the C# twin of the Java sample builder.
/// </summary>
[TestFixture]
public class GoldenTests
{
    /// <summary>ZooKeeper 3.8 defines exactly this many jute records.</summary>
    private const int ExpectedRecordCount = 72;

    private static readonly Lazy<GoldenFile> Golden = new(() => GoldenFile.Load(RepoPaths.GoldenFile));

    public static IEnumerable<TestCaseData> RecordVariants()
    {
        foreach (var info in JuteCatalog.Records)
        {
            foreach (int variant in JuteSamples.Variants)
                yield return new TestCaseData(info.FullName, variant).SetArgDisplayNames(info.FullName, "v" + variant);
        }
    }

    public static IEnumerable<TestCaseData> StringCases() =>
        JuteSamples.GoldenStrings.Select((s, i) => new TestCaseData(i).SetArgDisplayNames($"string {i} ({Describe(s)})"));

    [TestCaseSource(nameof(RecordVariants))]
    public void Serialize_EqualsGoldenBytes(string fullName, int variant)
    {
        var sample = JuteSamples.Create(Info(fullName), variant);
        byte[] golden = GoldenBytes(fullName, variant);

        byte[] actual = JuteSerializer.ToArray(sample);

        Assert.That(Convert.ToHexStringLower(actual), Is.EqualTo(Convert.ToHexStringLower(golden)),
            $"{fullName} v{variant}: C# bytes (actual) differ from Java's golden bytes (expected); sample {sample}");
    }

    [TestCaseSource(nameof(RecordVariants))]
    public void GetSerializedSize_EqualsGoldenLength(string fullName, int variant)
    {
        var sample = JuteSamples.Create(Info(fullName), variant);
        byte[] golden = GoldenBytes(fullName, variant);

        Assert.That(sample.GetSerializedSize(), Is.EqualTo(golden.Length), $"{fullName} v{variant}: GetSerializedSize()");
    }

    [TestCaseSource(nameof(RecordVariants))]
    public void Deserialize_GoldenBytes_EqualsSampleAndConsumesAll(string fullName, int variant)
    {
        var info = Info(fullName);
        var sample = JuteSamples.Create(info, variant);
        byte[] golden = GoldenBytes(fullName, variant);

        var decoded = JuteSamples.Decode(info, golden, out long consumed);
        var exact = JuteSamples.DeserializeExact(info, golden);

        Assert.Multiple(() =>
        {
            Assert.That(consumed, Is.EqualTo(golden.Length), $"{fullName} v{variant}: bytes consumed by Deserialize");
            Assert.That(decoded, Is.InstanceOf(info.ClrType));
            Assert.That(decoded.Equals(sample), Is.True,
                $"{fullName} v{variant}: decoded {decoded} does not Equal sample {sample}");
            Assert.That(exact.Equals(sample), Is.True,
                $"{fullName} v{variant}: JuteSerializer.Deserialize gave {exact}, sample is {sample}");
            Assert.That(Convert.ToHexStringLower(JuteSerializer.ToArray(decoded)), Is.EqualTo(Convert.ToHexStringLower(golden)),
                $"{fullName} v{variant}: re-serializing the decoded record");
        });
    }

    /// <summary>Guards the decode test above against an Equals that is always true.</summary>
    [TestCaseSource(nameof(RecordVariants))]
    public void Equals_IsValueBased(string fullName, int variant)
    {
        var info = Info(fullName);
        var sample = JuteSamples.Create(info, variant);
        var twin = JuteSamples.Create(info, variant);
        // Variant 0 uses k-dependent values in every field, so it differs from variant 2 everywhere.
        var other = JuteSamples.Create(info, variant == 0 ? 2 : 0);

        Assert.Multiple(() =>
        {
            Assert.That(ReferenceEquals(sample, twin), Is.False);
            Assert.That(sample.Equals(twin), Is.True, $"two builds of {fullName} v{variant} should be Equal");
            Assert.That(sample.GetHashCode(), Is.EqualTo(twin.GetHashCode()), "equal records should hash alike");
            Assert.That(sample.Equals(other), Is.False, $"{fullName} v{variant} should differ from another variant");
        });
    }

    [Test]
    public void GoldenFile_CoversExactlyTheCatalog()
    {
        var golden = Golden.Value;
        var catalogNames = JuteCatalog.Records.Select(r => r.FullName).ToList();
        var goldenNames = golden.RecordNames;

        Assert.Multiple(() =>
        {
            Assert.That(catalogNames, Has.Count.EqualTo(ExpectedRecordCount), "JuteCatalog.Records");
            Assert.That(catalogNames, Is.Unique, "JuteCatalog.Records");
            Assert.That(goldenNames, Has.Count.EqualTo(ExpectedRecordCount), "records named in the golden file");
            Assert.That(goldenNames.Except(catalogNames), Is.Empty, "golden records missing from JuteCatalog");
            Assert.That(catalogNames.Except(goldenNames), Is.Empty, "catalog records missing from the golden file");
            foreach (string name in catalogNames)
            {
                var variants = golden.Records.Where(r => r.FullName == name).Select(r => r.Variant).Order().ToList();
                Assert.That(variants, Is.EqualTo(JuteSamples.Variants), $"golden variants of {name}");
            }
            Assert.That(golden.Records, Has.Count.EqualTo(ExpectedRecordCount * JuteSamples.VariantCount));
            Assert.That(golden.Strings.Select(s => s.Index), Is.EqualTo(Enumerable.Range(0, JuteSamples.GoldenStrings.Count)),
                "golden string cases");
        });
    }

    [Test]
    public void Catalog_FindsEveryRecordByFullName()
    {
        foreach (var info in JuteCatalog.Records)
            Assert.That(JuteCatalog.Find(info.FullName), Is.SameAs(info).Or.EqualTo(info), info.FullName);
    }

    [TestCaseSource(nameof(StringCases))]
    public void WriteUString_EqualsGoldenBytes(int index)
    {
        byte[] golden = Golden.Value.GetString(index);

        byte[] actual = JuteSamples.EncodeUString(JuteSamples.GoldenStrings[index]);

        Assert.That(Convert.ToHexStringLower(actual), Is.EqualTo(Convert.ToHexStringLower(golden)),
            $"string {index} ({Describe(JuteSamples.GoldenStrings[index])}): JuteWriter.WriteUString vs Java's writeString");
    }

    private static JuteRecordInfo Info(string fullName) =>
        JuteCatalog.Records.Single(r => r.FullName == fullName);

    private static byte[] GoldenBytes(string fullName, int variant)
    {
        if (!Golden.Value.TryGetRecord(fullName, variant, out byte[] bytes))
            Assert.Fail($"{RepoPaths.GoldenFile} has no line '{fullName} v{variant}'; regenerate it with JuteGolden.java");
        return bytes;
    }

    private static string Describe(string s) =>
        string.Concat(s.Select(c => c is >= ' ' and < '\u007f' ? c.ToString() : $"\\u{(int)c:x4}"));
}
