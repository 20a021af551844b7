using System.Net;
using ZkCompat.Server.Network.Commands;

namespace ZkCompat.Server.Tests.FourLetterWords;

/// <summary>The JVM's text forms, checked against what Java 17 prints for the same values.</summary>
public class JavaFormatTests
{
    [TestCase(0.0, "0.0")]
    [TestCase(-0.0, "-0.0")]
    [TestCase(1.0, "1.0")]
    [TestCase(1.5, "1.5")]
    [TestCase(5.2222, "5.2222")]
    [TestCase(0.1818, "0.1818")]
    [TestCase(74.0, "74.0")]
    [TestCase(123456.0, "123456.0")]
    [TestCase(9999999.0, "9999999.0")]
    [TestCase(1.0E7, "1.0E7")]
    [TestCase(12345678.9, "1.23456789E7")]
    [TestCase(0.001, "0.001")]
    [TestCase(0.0001, "1.0E-4")]
    [TestCase(1.5E-5, "1.5E-5")]
    [TestCase(-2.25, "-2.25")]
    [TestCase(double.NaN, "NaN")]
    [TestCase(double.PositiveInfinity, "Infinity")]
    public void Double_toString(double value, string expected) =>
        Assert.That(JavaFormat.Double(value), Is.EqualTo(expected));

    [TestCase(47, 9, 5.2222)]
    [TestCase(2, 3, 0.6667)]
    [TestCase(3, 7, 0.4286)]
    [TestCase(12, 7, 1.7143)]
    [TestCase(1, 8, 0.125)]
    public void Latency_average_is_rounded_half_up_to_four_places(long total, long count, double expected) =>
        Assert.That(JavaFormat.RoundHalfUp4(total / (double)count), Is.EqualTo(expected));

    // Stored a little below the half: Java rounds down where value * 10000 rounded would go up.
    [TestCase(1.00105, 1.001)]
    [TestCase(1.00145, 1.0014)]
    // Stored a little above.
    [TestCase(1.00005, 1.0001)]
    [TestCase(0.00005, 0.0001)]
    [TestCase(2.00015, 2.0002)]
    public void Rounding_works_on_the_exact_binary_value_like_BigDecimal(double value, double expected) =>
        Assert.That(JavaFormat.RoundHalfUp4(value), Is.EqualTo(expected));

    [TestCase(0L, "0")]
    [TestCase(255L, "ff")]
    [TestCase(-1L, "ffffffffffffffff")]
    [TestCase(0x100001cafcb0000L, "100001cafcb0000")]
    public void Long_toHexString(long value, string expected) => Assert.That(JavaFormat.Hex(value), Is.EqualTo(expected));

    [TestCase("127.0.0.1", 2181, "/127.0.0.1:2181")]
    [TestCase("::1", 40000, "/[0:0:0:0:0:0:0:1]:40000")]
    [TestCase("::ffff:10.1.2.3", 5, "/10.1.2.3:5")]
    [TestCase("fe80::1:abcd", 7, "/[fe80:0:0:0:0:0:1:abcd]:7")]
    public void InetSocketAddress_toString(string address, int port, string expected) =>
        Assert.That(JavaFormat.SocketAddress(new IPEndPoint(IPAddress.Parse(address), port)), Is.EqualTo(expected));

    [Test]
    public void No_address_prints_null() => Assert.That(JavaFormat.SocketAddress(null), Is.EqualTo("null"));

    [Test]
    public void Date_toString_in_utc()
    {
        var instant = new DateTimeOffset(2026, 11, 25, 13, 37, 31, 999, TimeSpan.Zero);
        Assert.That(JavaFormat.Date(instant, TimeZoneInfo.Utc), Is.EqualTo("Wed Nov 25 13:37:31 UTC 2026"));
    }

    [Test]
    public void Date_toString_shape()
    {
        var instant = new DateTimeOffset(2024, 1, 1, 0, 0, 12, TimeSpan.Zero);
        Assert.That(JavaFormat.Date(instant), Does.Match(@"^(Sun|Mon) (Dec|Jan) \d{2} \d{2}:\d{2}:\d{2} (UTC|GMT|GMT[+-]\d{2}:\d{2}) \d{4}$"));
    }
}
