using System.Formats.Asn1;
using System.Globalization;
using System.Text;

namespace ZkCompat.Server.Network.Tls;

/// <summary>
/// Distinguished names as Java's <c>javax.security.auth.x500.X500Principal</c> handles them: the x509
/// scheme's id is <c>getName()</c> of the client certificate's subject (RFC 2253 form, Java's flavour),
/// and an ACL id is valid when <c>new X500Principal(id)</c> accepts it. Both are reproduced here, quirks
/// included, because ACLs compare these strings byte for byte.
/// </summary>
public static class JavaX500Name
{
    // The keywords Java's RFC 2253 output uses; every other attribute type prints as a dotted OID.
    private static readonly Dictionary<string, string> Rfc2253Keywords = new(StringComparer.Ordinal)
    {
        ["2.5.4.3"] = "CN",
        ["2.5.4.6"] = "C",
        ["2.5.4.7"] = "L",
        ["2.5.4.8"] = "ST",
        ["2.5.4.10"] = "O",
        ["2.5.4.11"] = "OU",
        ["2.5.4.9"] = "STREET",
        ["0.9.2342.19200300.100.1.25"] = "DC",
        ["0.9.2342.19200300.100.1.1"] = "UID",
    };

    // Every keyword the string parser knows (AVAKeyword's table); matched case-insensitively.
    private static readonly HashSet<string> ParserKeywords = new(StringComparer.Ordinal)
    {
        "CN", "C", "L", "S", "ST", "O", "OU", "T", "IP", "STREET", "DC", "DNQUALIFIER", "DNQ", "SURNAME",
        "GIVENNAME", "INITIALS", "GENERATION", "EMAIL", "EMAILADDRESS", "UID", "SERIALNUMBER",
    };

    // Java prints these value types as text; any other type (UniversalString included) as #hex.
    private static readonly HashSet<byte> TextTags = [0x13, 0x14, 0x16, 0x1B, 0x0C, 0x1E];

    private const string OutputEscapees = ",=+<>#;\"\\";
    private const string EscapableInValue = ",=\n+<>#;\\\" ";
    private const string EscapableInQuotes = ",=\n+<>#;\\\"";
    private const string MustBeEscaped = ",+<>;\"";

    /// <summary>
    /// <c>X500Principal.getName()</c> of a DER-encoded name: RDNs last to first, joined by ',', the AVAs
    /// of one RDN in encoded order joined by '+'.
    /// </summary>
    /// <exception cref="FormatException">Not a well-formed Name.</exception>
    public static string Format(ReadOnlyMemory<byte> encodedName)
    {
        try
        {
            var reader = new AsnReader(encodedName, AsnEncodingRules.BER);
            var rdnSequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var rdns = new List<string>();
            while (rdnSequence.HasData)
            {
                var set = rdnSequence.ReadSetOf(skipSortOrderValidation: true);
                var avas = new List<string>();
                while (set.HasData)
                {
                    var ava = set.ReadSequence();
                    string oid = ava.ReadObjectIdentifier();
                    ReadOnlyMemory<byte> value = ava.ReadEncodedValue();
                    ava.ThrowIfNotEmpty();
                    avas.Add(FormatAva(oid, value.Span));
                }
                rdns.Add(string.Join('+', avas));
            }
            rdns.Reverse();
            return string.Join(',', rdns);
        }
        catch (AsnContentException e)
        {
            throw new FormatException("Not a DER-encoded X.500 name: " + e.Message, e);
        }
    }

    private static string FormatAva(string oid, ReadOnlySpan<byte> value)
    {
        var sb = new StringBuilder();
        bool keyword = Rfc2253Keywords.TryGetValue(oid, out string? name);
        sb.Append(keyword ? name : oid).Append('=');
        if (!keyword || value.Length == 0 || !TextTags.Contains(value[0]))
        {
            sb.Append('#').Append(Convert.ToHexStringLower(value));
            return sb.ToString();
        }
        // Java decodes the content octets as UTF-8 whatever the string type (a BMPString comes out mangled).
        if (!AsnDecoder.TryReadEncodedValue(value, AsnEncodingRules.BER, out _, out int contentOffset, out int contentLength, out _))
            throw new AsnContentException("bad attribute value");
        string text = Encoding.UTF8.GetString(value.Slice(contentOffset, contentLength));
        var escaped = new StringBuilder(text.Length + 4);
        foreach (char c in text)
        {
            // NUL is the one character Java writes as a hex pair.
            if (c == '\0')
            {
                escaped.Append("\\00");
                continue;
            }
            if (OutputEscapees.Contains(c)) escaped.Append('\\');
            escaped.Append(c);
        }
        // Then blanks (space, CR) at either end of the already-escaped text get a backslash too.
        int lead = 0;
        while (lead < escaped.Length && escaped[lead] is ' ' or '\r') lead++;
        int trail = escaped.Length - 1;
        while (trail >= 0 && escaped[trail] is ' ' or '\r') trail--;
        for (int i = 0; i < escaped.Length; i++)
        {
            if (i < lead || i > trail) sb.Append('\\');
            sb.Append(escaped[i]);
        }
        return sb.ToString();
    }

    /// <summary>Whether <c>new X500Principal(name)</c> accepts <paramref name="name"/> (Java's lenient RFC 1779/2253 parser).</summary>
    public static bool IsValid(string name)
    {
        if (name.Length == 0) return true;
        try
        {
            foreach (string rdn in SplitUnquoted(name, isSeparator: c => c is ',' or ';', rdnLevel: true)) ParseRdn(rdn);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    // X500Name.parseDN / RDN(String): split at separators that are neither escaped nor inside quotes.
    // Java counts quotes cumulatively between accepted separators and splits when the count is not 1.
    private static List<string> SplitUnquoted(string text, Func<char, bool> isSeparator, bool rdnLevel)
    {
        var parts = new List<string>();
        int start = 0, searchFrom = 0, quotes = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!isSeparator(text[i])) continue;
            quotes += CountQuotes(text, searchFrom, i);
            bool escaped = rdnLevel ? IsEscaped(text, i, searchFrom) : i > 0 && text[i - 1] == '\\';
            bool split = rdnLevel ? quotes != 1 && !escaped : i > 0 && !escaped && quotes != 1;
            if (split)
            {
                parts.Add(text[start..i]);
                start = i + 1;
                quotes = 0;
            }
            searchFrom = i + 1;
        }
        parts.Add(text[start..]);
        return parts;
    }

    private static int CountQuotes(string text, int from, int to)
    {
        int count = 0;
        for (int i = from; i < to; i++)
        {
            if (text[i] == '"' && (i == from || text[i - 1] != '\\')) count++;
        }
        return count;
    }

    private static bool IsEscaped(string text, int at, int searchFrom)
    {
        if (at == 1 && text[0] == '\\') return true;
        if (at > 1 && text[at - 1] == '\\' && text[at - 2] != '\\') return true;
        if (at > 1 && text[at - 1] == '\\' && text[at - 2] == '\\')
        {
            int count = 0;
            for (int i = at - 1; i >= searchFrom; i--)
            {
                if (text[i] == '\\') count++;
            }
            return count % 2 != 0;
        }
        return false;
    }

    private static void ParseRdn(string rdn)
    {
        foreach (string ava in SplitUnquoted(rdn, isSeparator: c => c == '+', rdnLevel: false))
        {
            if (ava.Length == 0) throw new FormatException("empty AVA");
            ParseAva(ava);
        }
    }

    private static void ParseAva(string ava)
    {
        int eq = ava.IndexOf('=');
        if (eq < 0) throw new FormatException("no '='");
        CheckKeyword(ava[..eq]);
        int i = eq + 1;
        while (i < ava.Length && ava[i] is ' ' or '\n') i++;
        if (i == ava.Length) return;
        if (ava[i] == '#') ParseHex(ava, i + 1);
        else if (ava[i] == '"') ParseQuoted(ava, i + 1);
        else ParseString(ava, i);
    }

    private static void CheckKeyword(string keyword)
    {
        // String.trim: every char up to U+0020 counts as blank.
        string k = keyword.ToUpperInvariant().Trim(TrimChars);
        if (ParserKeywords.Contains(k)) return;
        if (k.StartsWith("OID.", StringComparison.Ordinal)) k = k[4..];
        if (k.Length == 0 || k[0] is < '0' or > '9' || !IsObjectIdentifier(k)) throw new FormatException("Invalid keyword");
    }

    private static readonly char[] TrimChars = Enumerable.Range(0, 0x21).Select(c => (char)c).ToArray();

    private static bool IsObjectIdentifier(string oid)
    {
        string[] arcs = oid.Split('.');
        if (arcs.Length < 2) return false;
        foreach (string arc in arcs)
        {
            if (arc.Length == 0 || !arc.All(char.IsAsciiDigit)) return false;
        }
        if (!int.TryParse(arcs[0], NumberStyles.None, CultureInfo.InvariantCulture, out int first) || first > 2) return false;
        if (first < 2 && (!int.TryParse(arcs[1], NumberStyles.None, CultureInfo.InvariantCulture, out int second) || second > 39)) return false;
        return true;
    }

    private static void ParseHex(string ava, int from)
    {
        var bytes = new List<byte>();
        int digits = 0;
        int high = 0;
        for (int i = from; i < ava.Length && !IsTerminator(ava[i]); i++)
        {
            int v = HexValue(ava[i]);
            if (v < 0) throw new FormatException("invalid hex digit");
            if (digits % 2 == 1) bytes.Add((byte)(high * 16 + v));
            else high = v;
            digits++;
        }
        if (digits == 0 || digits % 2 == 1) throw new FormatException("bad hex length");
        // Java builds a DerValue from the bytes: exactly one well-formed TLV.
        try
        {
            var reader = new AsnReader(bytes.ToArray(), AsnEncodingRules.BER);
            reader.ReadEncodedValue();
            reader.ThrowIfNotEmpty();
        }
        catch (AsnContentException e)
        {
            throw new FormatException("not DER", e);
        }
    }

    private static void ParseQuoted(string ava, int from)
    {
        int i = from;
        while (true)
        {
            if (i >= ava.Length) throw new FormatException("Quoted string did not end in quote");
            char c = ava[i++];
            if (c == '"') break;
            if (c != '\\') continue;
            if (i >= ava.Length) throw new FormatException("Quoted string did not end in quote");
            char escaped = ava[i++];
            if (HexValue(escaped) >= 0)
            {
                if (i >= ava.Length || HexValue(ava[i]) < 0) throw new FormatException("escaped hex value must include two valid digits");
                i++;
                continue;
            }
            if (!EscapableInQuotes.Contains(escaped)) throw new FormatException("Invalid escaped character");
        }
        for (; i < ava.Length; i++)
        {
            if (ava[i] is not (' ' or '\n')) throw new FormatException("characters after the closing quote");
        }
    }

    private static void ParseString(string ava, int i)
    {
        int start = i;
        while (i < ava.Length)
        {
            // Java ends the value at an unescaped separator and ignores whatever follows it.
            if (i > start && IsTerminator(ava[i])) return;
            char c = ava[i++];
            if (c == '\\')
            {
                if (i >= ava.Length) throw new FormatException("Invalid escaped character");
                char escaped = ava[i++];
                if (EscapableInValue.Contains(escaped)) continue;
                if (HexValue(escaped) < 0) throw new FormatException("Invalid escaped character");
                if (i >= ava.Length || HexValue(ava[i]) < 0) throw new FormatException("escaped hex value must include two valid digits");
                i++;
                continue;
            }
            if (MustBeEscaped.Contains(c)) throw new FormatException("character appears without escape");
        }
    }

    private static bool IsTerminator(char c) => c is ',' or '+' or ';';

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
