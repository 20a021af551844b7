using System.Text;

namespace ZkCompat.Server.Config;

/// <summary>
/// Reads text in <c>java.util.Properties.load</c> format, which is what zoo.cfg is: <c>key=value</c>,
/// <c>key: value</c> or <c>key value</c>; <c>#</c>/<c>!</c> comment lines; a line ending in an odd
/// number of backslashes continues on the next one (its leading blanks skipped); <c>\uXXXX</c>,
/// <c>\t \n \r \f</c> escapes. Leading blanks of a value are dropped, trailing ones kept. A key given
/// twice keeps its last value.
/// </summary>
internal static class JavaProperties
{
    public static Dictionary<string, string> Load(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new LineReader(text);
        while (reader.ReadLogicalLine() is { } line)
        {
            var (key, value) = SplitKeyValue(line);
            result[key] = value;
        }
        return result;
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\f';

    private static (string Key, string Value) SplitKeyValue(string line)
    {
        int keyLength = 0;
        int valueStart = line.Length;
        bool hasSeparator = false;
        bool escaped = false;
        while (keyLength < line.Length)
        {
            char c = line[keyLength];
            if (c is '=' or ':' && !escaped)
            {
                valueStart = keyLength + 1;
                hasSeparator = true;
                break;
            }
            if (IsBlank(c) && !escaped)
            {
                valueStart = keyLength + 1;
                break;
            }
            escaped = c == '\\' && !escaped;
            keyLength++;
        }
        // Blanks, then at most one '=' or ':' if the key ended on a blank, then blanks again.
        while (valueStart < line.Length)
        {
            char c = line[valueStart];
            if (!IsBlank(c))
            {
                if (!hasSeparator && c is '=' or ':') hasSeparator = true;
                else break;
            }
            valueStart++;
        }
        return (Unescape(line, 0, keyLength), Unescape(line, valueStart, line.Length - valueStart));
    }

    private static string Unescape(string s, int offset, int length)
    {
        int end = offset + length;
        if (s.IndexOf('\\', offset, length) < 0) return s.Substring(offset, length);
        var sb = new StringBuilder(length);
        int i = offset;
        while (i < end)
        {
            char c = s[i++];
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (i >= end) break;
            c = s[i++];
            if (c == 'u')
            {
                if (i + 4 > end || !ushort.TryParse(s.AsSpan(i, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out ushort code))
                    throw new ConfigException("Malformed \\uxxxx encoding.");
                sb.Append((char)code);
                i += 4;
                continue;
            }
            sb.Append(c switch { 't' => '\t', 'r' => '\r', 'n' => '\n', 'f' => '\f', _ => c });
        }
        return sb.ToString();
    }

    /// <summary>Joins natural lines into logical ones and drops comments and blank lines.</summary>
    private sealed class LineReader(string text)
    {
        private int _pos;

        public string? ReadLogicalLine()
        {
            var sb = new StringBuilder();
            bool skipBlanks = true;
            bool continuation = false;
            bool escaped = false;
            while (true)
            {
                if (_pos >= text.Length)
                {
                    if (sb.Length == 0) return null;
                    // A backslash on the very last line is dropped.
                    if (escaped) sb.Length--;
                    return sb.ToString();
                }
                char c = text[_pos++];
                if (skipBlanks)
                {
                    if (IsBlank(c)) continue;
                    if (!continuation && c is '\r' or '\n') continue;
                    skipBlanks = false;
                    continuation = false;
                }
                if (sb.Length == 0 && c is '#' or '!')
                {
                    while (_pos < text.Length && text[_pos] is not ('\r' or '\n')) _pos++;
                    skipBlanks = true;
                    continue;
                }
                if (c is not ('\r' or '\n'))
                {
                    sb.Append(c);
                    escaped = c == '\\' && !escaped;
                    continue;
                }
                if (sb.Length == 0)
                {
                    skipBlanks = true;
                    continue;
                }
                if (!escaped) return sb.ToString();
                // Odd trailing backslashes: drop one and carry on with the next natural line.
                sb.Length--;
                escaped = false;
                skipBlanks = true;
                continuation = true;
                if (c == '\r' && _pos < text.Length && text[_pos] == '\n') _pos++;
            }
        }
    }
}
