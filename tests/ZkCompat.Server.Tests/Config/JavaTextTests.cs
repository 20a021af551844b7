using NUnit.Framework;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Tests.Config;

public class JavaTextTests
{
    // Integer.parseInt results printed by Java 17 (null = NumberFormatException).
    [TestCase("42", 42)]
    [TestCase("+42", 42)]
    [TestCase("-42", -42)]
    [TestCase("0042", 42)]
    [TestCase("2147483647", int.MaxValue)]
    [TestCase("-2147483648", int.MinValue)]
    [TestCase("\uff14\uff12", 42)] // fullwidth digits are decimal digits to Java
    [TestCase("", null)]
    [TestCase("+", null)]
    [TestCase("-", null)]
    [TestCase(" 42", null)]
    [TestCase("42 ", null)]
    [TestCase("0x10", null)]
    [TestCase("2147483648", null)]
    [TestCase("1_000", null)]
    [TestCase("4e3", null)]
    public void TryParseInt_is_Integer_parseInt(string text, int? expected)
    {
        bool ok = JavaText.TryParseInt(text, out int value);
        Assert.That(ok ? value : (int?)null, Is.EqualTo(expected));
    }

    // Integer.decode results printed by Java 17 (what Integer.getInteger uses).
    [TestCase("42", 42)]
    [TestCase("0x10", 16)]
    [TestCase("0X1f", 31)]
    [TestCase("#ff", 255)]
    [TestCase("010", 8)]
    [TestCase("0", 0)]
    [TestCase("-0x10", -16)]
    [TestCase("+010", 8)]
    [TestCase("-2147483648", int.MinValue)]
    [TestCase("-0x80000000", int.MinValue)]
    [TestCase("08", null)]
    [TestCase("0x", null)]
    [TestCase("-", null)]
    [TestCase("2147483648", null)]
    [TestCase("0x80000000", null)]
    [TestCase(" 1", null)]
    [TestCase("--1", null)]
    [TestCase("-+1", null)]
    public void TryDecodeInt_is_Integer_decode(string text, int? expected)
    {
        bool ok = JavaText.TryDecodeInt(text, out int value);
        Assert.That(ok ? value : (int?)null, Is.EqualTo(expected));
    }

    // String.split results printed by Java 17.
    [TestCase("bob:", ':', 0, new[] { "bob" })]
    [TestCase(":a", ':', 0, new[] { "", "a" })]
    [TestCase("a:b:", ':', 0, new[] { "a", "b" })]
    [TestCase("::", ':', 0, new string[0])]
    [TestCase("", ':', 0, new[] { "" })]
    [TestCase("1.2.3.", '.', -1, new[] { "1", "2", "3", "" })]
    [TestCase("1.2/8/9", '/', 2, new[] { "1.2", "8/9" })]
    [TestCase("1.2/", '/', 2, new[] { "1.2", "" })]
    public void Split_is_String_split(string text, char separator, int limit, string[] expected)
    {
        Assert.That(JavaText.Split(text, separator, limit), Is.EqualTo(expected));
    }

    [TestCase("-Dzookeeper.skipACL=yes", "zookeeper.skipACL", "yes")]
    [TestCase("-Da=b=c", "a", "b=c")]
    [TestCase("-Dflag", "flag", "")]
    [TestCase("-Dempty=", "empty", "")]
    public void Definition_arguments(string arg, string name, string value)
    {
        Assert.That(JvmFlags.TryParseDefinition(arg, out string n, out string v), Is.True);
        Assert.That((n, v), Is.EqualTo((name, value)));
    }

    [TestCase("-Xmx512m")]
    [TestCase("-D")]
    [TestCase("-D=x")]
    [TestCase("conf/zoo.cfg")]
    public void Not_definitions(string arg)
    {
        Assert.That(JvmFlags.TryParseDefinition(arg, out _, out _), Is.False);
    }

    [TestCase("-Xmx1000m -Da=1  -Db=2", new[] { "-Xmx1000m", "-Da=1", "-Db=2" })]
    [TestCase("-Dw=\"stat, ruok\" -Dx='a b'", new[] { "-Dw=stat, ruok", "-Dx=a b" })]
    [TestCase("\"-Dq=say \\\"hi\\\"\"", new[] { "-Dq=say \"hi\"" })]
    [TestCase("-Dp=a\\ b", new[] { "-Dp=a b" })]
    [TestCase("-Dempty='' -Dn", new[] { "-Dempty=", "-Dn" })]
    [TestCase("  ", new string[0])]
    public void Tokenize_splits_like_a_shell(string flags, string[] expected)
    {
        Assert.That(JvmFlags.Tokenize(flags), Is.EqualTo(expected));
    }
}
