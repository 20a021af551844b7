using NUnit.Framework;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Tests.Config;

public class JavaPropertiesTests
{
    // Each input was loaded with java.util.Properties.load (Java 17); the expected maps are its output.
    private static IEnumerable<TestCaseData> Files()
    {
        yield return new TestCaseData(
            "a=1\nb : 2 \n  c   3\n#x=1\n!y=2\nd=\\\n   cont\\\n  inued\ne\\ f=g\\=h\nk=\\u0041\\t\\q\n  \n\tm:\n",
            new Dictionary<string, string>
            {
                ["a"] = "1", ["b"] = "2 ", ["c"] = "3", ["d"] = "continued", ["e f"] = "g=h", ["k"] = "A\tq", ["m"] = "",
            }).SetName("separators, comments, continuations, escapes");
        yield return new TestCaseData(
            "a=1\\\\\nb=2\\\n#notcomment\nc=x\r\nd=y\re=z",
            new Dictionary<string, string> { ["a"] = "1\\", ["b"] = "2#notcomment", ["c"] = "x", ["d"] = "y", ["e"] = "z" })
            .SetName("even backslashes, a continued '#', CRLF and CR endings");
        yield return new TestCaseData(
            "key=value with trailing   \nx==y\n:empty\n=v2\n",
            new Dictionary<string, string> { ["key"] = "value with trailing   ", ["x"] = "=y", [""] = "v2" })
            .SetName("trailing blanks kept, second '=' is value, empty key, last one wins");
        yield return new TestCaseData(
            "tickTime=2000\n  # indented comment\nlast=\\",
            new Dictionary<string, string> { ["tickTime"] = "2000", ["last"] = "" })
            .SetName("indented comment, backslash at end of file");
    }

    [TestCaseSource(nameof(Files))]
    public void Load_reads_like_java_util_Properties(string text, Dictionary<string, string> expected)
    {
        Assert.That(JavaProperties.Load(text), Is.EquivalentTo(expected));
    }

    [Test]
    public void A_malformed_unicode_escape_is_an_error()
    {
        var e = Assert.Throws<ConfigException>(() => JavaProperties.Load("a=\\u12x4\n"));
        Assert.That(e!.Message, Is.EqualTo("Malformed \\uxxxx encoding."));
    }
}
