using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// How the JVM turns values into text, for outputs scripts parse: <c>Long.toHexString</c>,
/// <c>Double.toString</c>, <c>Date.toString</c> and <c>InetSocketAddress.toString</c>.
/// </summary>
public static class JavaFormat
{
    /// <summary><c>Long.toHexString</c>: the two's-complement bits, lower case, no leading zeros.</summary>
    public static string Hex(long value) => ((ulong)value).ToString("x", CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>Double.toString</c>: plain notation with at least one fractional digit for 10^-3 ≤ |d| &lt; 10^7,
    /// otherwise <c>d.dddE±n</c>; the shortest digits that read back as the same double.
    /// </summary>
    public static string Double(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsPositiveInfinity(value)) return "Infinity";
        if (double.IsNegativeInfinity(value)) return "-Infinity";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";

        var (digits, pointPos) = ShortestDigits(Math.Abs(value));
        var sb = new StringBuilder();
        if (value < 0) sb.Append('-');
        int exponent = pointPos - 1;
        if (exponent is >= -3 and < 7)
        {
            if (pointPos <= 0)
            {
                sb.Append("0.").Append('0', -pointPos).Append(digits);
            }
            else if (pointPos >= digits.Length)
            {
                sb.Append(digits).Append('0', pointPos - digits.Length).Append(".0");
            }
            else
            {
                sb.Append(digits, 0, pointPos).Append('.').Append(digits, pointPos, digits.Length - pointPos);
            }
        }
        else
        {
            sb.Append(digits[0]).Append('.');
            if (digits.Length > 1) sb.Append(digits, 1, digits.Length - 1);
            else sb.Append('0');
            sb.Append('E').Append(exponent.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>
    /// <c>new BigDecimal(v).setScale(4, HALF_UP).doubleValue()</c>, how Java's latency averages are
    /// rounded: exact on the binary value, so 1.00005 (stored a little below) rounds down as in Java.
    /// </summary>
    public static double RoundHalfUp4(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value == 0) return value;
        long bits = BitConverter.DoubleToInt64Bits(value);
        int biased = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        if (biased == 0) biased = 1;
        else mantissa |= 1L << 52;
        int exponent = biased - 1075;

        BigInteger scaled = new BigInteger(mantissa) * 10000;
        BigInteger units;
        if (exponent >= 0)
        {
            units = scaled << exponent;
        }
        else
        {
            BigInteger denominator = BigInteger.One << -exponent;
            units = BigInteger.DivRem(scaled, denominator, out BigInteger remainder);
            if (remainder * 2 >= denominator) units += 1;
        }
        double rounded = (double)units / 10000.0;
        return value < 0 ? -rounded : rounded;
    }

    /// <summary>
    /// <c>Date.toString</c>: <c>EEE MMM dd HH:mm:ss zzz yyyy</c> in the local time zone. .NET has no
    /// zone abbreviations, so zones other than UTC/GMT print as <c>GMT+hh:mm</c>, which Java itself
    /// prints for zones without one.
    /// </summary>
    public static string Date(DateTimeOffset instant) => Date(instant, TimeZoneInfo.Local);

    /// <summary><c>Date.toString</c> in the given zone (the server uses the local one).</summary>
    public static string Date(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        var sb = new StringBuilder();
        sb.Append(local.ToString("ddd MMM dd HH:mm:ss", CultureInfo.InvariantCulture)).Append(' ');
        sb.Append(ZoneName(zone, local.Offset)).Append(' ');
        sb.Append(local.Year.ToString("0000", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    /// <summary>
    /// <c>InetSocketAddress.toString</c> of an accepted socket: <c>/1.2.3.4:port</c>, IPv6 in brackets
    /// with Java's uncompressed groups (<c>/[0:0:0:0:0:0:0:1]:port</c>); <c>null</c> when there is none.
    /// </summary>
    public static string SocketAddress(IPEndPoint? endPoint)
    {
        if (endPoint is null) return "null";
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        string host = address.AddressFamily == AddressFamily.InterNetworkV6 ? "[" + Ipv6HostAddress(address) + "]" : address.ToString();
        return "/" + host + ":" + endPoint.Port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary><c>Inet6Address.getHostAddress</c>: eight hex groups, none compressed, then %scope if any.</summary>
    public static string Ipv6HostAddress(IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        var sb = new StringBuilder();
        for (int i = 0; i < 16; i += 2)
        {
            if (i > 0) sb.Append(':');
            sb.Append(((bytes[i] << 8) | bytes[i + 1]).ToString("x", CultureInfo.InvariantCulture));
        }
        if (address.ScopeId != 0) sb.Append('%').Append(address.ScopeId.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static string ZoneName(TimeZoneInfo zone, TimeSpan offset)
    {
        if (offset == TimeSpan.Zero)
        {
            switch (zone.Id)
            {
                case "UTC" or "Etc/UTC" or "Etc/UCT" or "UCT" or "Universal" or "Etc/Universal" or "Zulu" or "Etc/Zulu"
                    or "Coordinated Universal Time":
                    return "UTC";
                case "GMT" or "Etc/GMT" or "Etc/GMT0" or "Etc/GMT+0" or "Etc/GMT-0" or "Etc/Greenwich" or "Greenwich" or "GMT0":
                    return "GMT";
            }
        }
        string sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        return "GMT" + sign + abs.Hours.ToString("00", CultureInfo.InvariantCulture) + ":" + abs.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>The shortest round-trip digits of a positive double and where the decimal point goes.</summary>
    private static (string Digits, int PointPos) ShortestDigits(double positive)
    {
        string r = positive.ToString("R", CultureInfo.InvariantCulture);
        int exponent = 0;
        int e = r.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..e];
        }
        int dot = r.IndexOf('.', StringComparison.Ordinal);
        string digits = dot >= 0 ? r.Remove(dot, 1) : r;
        int pointPos = (dot >= 0 ? dot : r.Length) + exponent;
        int lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') lead++;
        digits = digits[lead..];
        pointPos -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        return (digits, pointPos);
    }
}
