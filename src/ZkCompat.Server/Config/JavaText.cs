using System.Globalization;

namespace ZkCompat.Server.Config;

/// <summary>
/// The few java.lang string and number rules that configuration and ACL parsing depend on.
/// They differ from .NET's in ways a user can notice (which spellings of a number are accepted,
/// which empty pieces a split keeps), so they are spelled out here once.
/// </summary>
internal static class JavaText
{
    /// <summary><c>String.split</c> with a one-character literal separator and Java's limit rules.</summary>
    /// <remarks>
    /// limit &gt; 0: at most <c>limit</c> pieces, the last holding the rest; limit == 0: trailing empty
    /// pieces are dropped; limit &lt; 0: every piece is kept. No separator at all ⇒ the input itself.
    /// </remarks>
    public static string[] Split(string s, char separator, int limit = 0)
    {
        if (s.IndexOf(separator) < 0) return [s];
        var parts = new List<string>();
        int start = 0;
        while (true)
        {
            if (limit > 0 && parts.Count == limit - 1) break;
            int next = s.IndexOf(separator, start);
            if (next < 0) break;
            parts.Add(s[start..next]);
            start = next + 1;
        }
        parts.Add(s[start..]);
        if (limit == 0)
        {
            int count = parts.Count;
            while (count > 0 && parts[count - 1].Length == 0) count--;
            parts.RemoveRange(count, parts.Count - count);
        }
        return [.. parts];
    }

    /// <summary><c>String.trim</c>: strips every char up to U+0020 (controls included) from both ends.</summary>
    public static string Trim(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && s[start] <= ' ') start++;
        while (end > start && s[end - 1] <= ' ') end--;
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    /// <summary><c>Integer.parseInt(s)</c>: optional sign, Unicode decimal digits, no spaces, no radix prefix.</summary>
    public static bool TryParseInt(string? s, out int value)
    {
        value = 0;
        if (!TryParseLong(s, 10, out long wide) || wide is < int.MinValue or > int.MaxValue) return false;
        value = (int)wide;
        return true;
    }

    /// <summary><c>Long.parseLong(s, radix)</c>.</summary>
    public static bool TryParseLong(string? s, int radix, out long value)
    {
        value = 0;
        if (string.IsNullOrEmpty(s)) return false;
        int i = 0;
        bool negative = false;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            i = 1;
            if (s.Length == 1) return false;
        }
        // Accumulate negatively so that Long.MIN_VALUE parses, as Java does.
        long result = 0;
        long limit = negative ? long.MinValue : -long.MaxValue;
        long multiplyMin = limit / radix;
        for (; i < s.Length; i++)
        {
            int digit = Digit(s[i], radix);
            if (digit < 0 || result < multiplyMin) return false;
            result *= radix;
            if (result < limit + digit) return false;
            result -= digit;
        }
        value = negative ? result : -result;
        return true;
    }

    /// <summary><c>Integer.decode</c> (what <c>Integer.getInteger</c> uses): 0x/0X/# hex, leading 0 octal.</summary>
    public static bool TryDecodeInt(string? s, out int value)
    {
        value = 0;
        if (!TryDecodeLong(s, out long wide) || wide is < int.MinValue or > int.MaxValue) return false;
        value = (int)wide;
        return true;
    }

    /// <summary><c>Long.decode</c>.</summary>
    public static bool TryDecodeLong(string? s, out long value)
    {
        value = 0;
        if (string.IsNullOrEmpty(s)) return false;
        int i = 0;
        bool negative = false;
        if (s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            i = 1;
        }
        int radix = 10;
        if (string.CompareOrdinal(s, i, "0x", 0, 2) == 0 || string.CompareOrdinal(s, i, "0X", 0, 2) == 0)
        {
            radix = 16;
            i += 2;
        }
        else if (string.CompareOrdinal(s, i, "#", 0, 1) == 0)
        {
            radix = 16;
            i += 1;
        }
        else if (string.CompareOrdinal(s, i, "0", 0, 1) == 0 && s.Length > i + 1)
        {
            radix = 8;
            i += 1;
        }
        if (i >= s.Length || s[i] is '+' or '-') return false;
        // Parsing the digits with the sign attached keeps MIN_VALUE representable.
        return TryParseLong((negative ? "-" : "") + s[i..], radix, out value);
    }

    /// <summary><c>Boolean.getBoolean</c>/<c>parseBoolean</c>: true only for "true" in any case.</summary>
    public static bool ParseBoolean(string? s) => string.Equals(s, "true", StringComparison.OrdinalIgnoreCase);

    // Character.digit: Unicode decimal digits for radix 10, plus ASCII/fullwidth letters above it.
    private static int Digit(char c, int radix)
    {
        int d = -1;
        if (char.IsDigit(c)) d = CharUnicodeInfo.GetDecimalDigitValue(c);
        else if (c is >= 'a' and <= 'z') d = c - 'a' + 10;
        else if (c is >= 'A' and <= 'Z') d = c - 'A' + 10;
        else if (c is >= '\uFF21' and <= '\uFF3A') d = c - '\uFF21' + 10;
        else if (c is >= '\uFF41' and <= '\uFF5A') d = c - '\uFF41' + 10;
        return d >= 0 && d < radix ? d : -1;
    }
}
