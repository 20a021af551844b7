using System.Collections;
using System.Globalization;
using System.Text;
using ZkCompat.Server.Network.Commands;

namespace ZkCompat.Server.Admin;

/// <summary>
/// Java's <c>JsonOutputter</c>: Jackson with <c>INDENT_OUTPUT</c>, whose default pretty printer puts each
/// object field on its own line indented two spaces a level, <c>"key" : value</c>, arrays on one line
/// (<c>[ 1, 2 ]</c>, <c>[ ]</c>), empty objects as <c>{ }</c>, and no newline at the end.
/// </summary>
public static class JsonOutputter
{
    public const string ContentType = "application/json";

    public static string Write(CommandResponse response)
    {
        var sb = new StringBuilder(256);
        WriteValue(sb, response.ToMap(), 0);
        return sb.ToString();
    }

    public static string Write(object? value)
    {
        var sb = new StringBuilder(64);
        WriteValue(sb, value, 0);
        return sb.ToString();
    }

    private static void WriteValue(StringBuilder sb, object? value, int nesting)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                break;
            case string s:
                WriteString(sb, s);
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case int or long or short or byte or uint or ulong:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case double d:
                // Jackson quotes the non-finite ones (QUOTE_NON_NUMERIC_NUMBERS).
                if (double.IsFinite(d)) sb.Append(JavaFormat.Double(d));
                else WriteString(sb, JavaFormat.Double(d));
                break;
            case JsonNumber n:
                sb.Append(n.Text);
                break;
            case OrderedDictionary<string, object?> map:
                WriteObject(sb, map, nesting);
                break;
            case IEnumerable sequence:
                WriteArray(sb, sequence, nesting);
                break;
            default:
                WriteString(sb, Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
                break;
        }
    }

    private static void WriteObject(StringBuilder sb, OrderedDictionary<string, object?> map, int nesting)
    {
        if (map.Count == 0)
        {
            sb.Append("{ }");
            return;
        }
        sb.Append('{');
        bool first = true;
        foreach (var (key, value) in map)
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append('\n').Append(' ', 2 * (nesting + 1));
            WriteString(sb, key);
            sb.Append(" : ");
            WriteValue(sb, value, nesting + 1);
        }
        sb.Append('\n').Append(' ', 2 * nesting).Append('}');
    }

    // Arrays stay on one line and do not deepen the indentation of objects inside them.
    private static void WriteArray(StringBuilder sb, IEnumerable sequence, int nesting)
    {
        sb.Append('[');
        bool any = false;
        foreach (object? item in sequence)
        {
            sb.Append(any ? ", " : " ");
            any = true;
            WriteValue(sb, item, nesting);
        }
        sb.Append(" ]");
    }

    /// <summary>Jackson's escaping: quote, backslash and control characters; everything else as is.</summary>
    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char ch in s)
        {
            switch (ch)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (ch < 0x20) sb.Append("\\u").Append(((int)ch).ToString("X4", CultureInfo.InvariantCulture));
                    else sb.Append(ch);
                    break;
            }
        }
        sb.Append('"');
    }
}
