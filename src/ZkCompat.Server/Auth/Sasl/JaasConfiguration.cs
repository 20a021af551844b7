using System.Globalization;
using System.Text;

namespace ZkCompat.Server.Auth.Sasl;

/// <summary>A login module's control flag in a JAAS section.</summary>
public enum JaasControlFlag
{
    Required,
    Requisite,
    Sufficient,
    Optional,
}

/// <summary>One <c>module flag key=value ...;</c> line of a JAAS section (Java's <c>AppConfigurationEntry</c>).</summary>
public sealed record JaasLoginModuleEntry(string LoginModuleName, JaasControlFlag ControlFlag, IReadOnlyDictionary<string, string> Options);

/// <summary>A JAAS file that cannot be read or parsed (Java's IOException/SecurityException from ConfigFile).</summary>
public sealed class JaasConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A JAAS login configuration as the JDK's default <c>ConfigFile</c> reads it: sections
/// <c>Name { module flag key="value" ...; };</c>, tokenised like <c>java.io.StreamTokenizer</c> with
/// <c>//</c> and <c>/* */</c> comments, double-quoted strings with Java escapes, and <c>${prop}</c>
/// expansion in option values.
/// </summary>
public sealed class JaasConfiguration
{
    private readonly Dictionary<string, IReadOnlyList<JaasLoginModuleEntry>> _sections;

    private JaasConfiguration(Dictionary<string, IReadOnlyList<JaasLoginModuleEntry>> sections, string? source)
    {
        _sections = sections;
        Source = source;
    }

    /// <summary>Where it was read from (the file path), for messages.</summary>
    public string? Source { get; }

    public IEnumerable<string> SectionNames => _sections.Keys;

    /// <summary>The entries of a section; null when it is absent or empty (as <c>getAppConfigurationEntry</c>).</summary>
    public IReadOnlyList<JaasLoginModuleEntry>? GetSection(string name) =>
        _sections.TryGetValue(name, out var entries) && entries.Count > 0 ? entries : null;

    /// <summary>
    /// Parses configuration text. <paramref name="property"/> resolves <c>${name}</c> in option values
    /// (null: unknown, which is an error as in Java).
    /// </summary>
    public static JaasConfiguration Parse(string text, Func<string, string?> property, string? source = null)
    {
        var sections = new Dictionary<string, IReadOnlyList<JaasLoginModuleEntry>>(StringComparer.Ordinal);
        new Parser(text, property).Run(sections);
        return new JaasConfiguration(sections, source);
    }

    /// <summary>
    /// Reads the file a <c>java.security.auth.login.config</c> value names: a leading '=' is dropped
    /// (it only matters for java.security's other sources, which are not read), <c>${prop}</c> is
    /// expanded, and the rest is a <c>file:</c> URL or a path. The file is UTF-8.
    /// </summary>
    public static JaasConfiguration Load(string propertyValue, Func<string, string?> property)
    {
        string spec = propertyValue.StartsWith('=') ? propertyValue[1..] : propertyValue;
        try
        {
            spec = ExpandProperties(spec, property);
        }
        catch (JaasConfigurationException e)
        {
            throw new JaasConfigurationException("Unable to properly expand config " + spec, e);
        }
        string path = ToPath(spec);
        string text;
        try
        {
            text = File.ReadAllText(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new JaasConfigurationException(spec + " (No such file or directory)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new JaasConfigurationException(spec + " (" + e.Message + ")", e);
        }
        return Parse(text, property, path);
    }

    // A "file:" URL (percent-decoded) or, when the value is no URL at all, a file path.
    private static string ToPath(string spec)
    {
        int colon = spec.IndexOf(':');
        if (colon > 1 && IsUrlScheme(spec.AsSpan(0, colon)))
        {
            string scheme = spec[..colon];
            if (!scheme.Equals("file", StringComparison.OrdinalIgnoreCase))
                throw new JaasConfigurationException($"{spec}: only file: URLs and paths are supported");
            string rest = spec[(colon + 1)..];
            // file:///p and file://host/p; a host other than localhost is a UNC path as in Java.
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                int slash = rest.IndexOf('/', 2);
                string host = slash < 0 ? rest[2..] : rest[2..slash];
                rest = slash < 0 ? "/" : rest[slash..];
                if (host.Length > 0 && !host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) rest = "//" + host + rest;
            }
            return Uri.UnescapeDataString(rest);
        }
        return spec;
    }

    private static bool IsUrlScheme(ReadOnlySpan<char> s)
    {
        if (!char.IsAsciiLetter(s[0])) return false;
        foreach (char c in s)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.')) return false;
        }
        return true;
    }

    /// <summary>
    /// <c>PropertyExpander.expand</c>: <c>${name}</c> becomes the property (an unknown one is an error),
    /// <c>${/}</c> the file separator; <c>${{...}}</c> and an unclosed <c>${</c> stay as they are.
    /// </summary>
    public static string ExpandProperties(string value, Func<string, string?> property)
    {
        int p = value.IndexOf("${", StringComparison.Ordinal);
        if (p < 0) return value;
        var sb = new StringBuilder(value.Length);
        int max = value.Length;
        int i = 0;
        while (p < max)
        {
            if (p > i) sb.Append(value, i, p - i);
            int pe = p + 2;
            if (pe < max && value[pe] == '{')
            {
                pe = value.IndexOf("}}", pe, StringComparison.Ordinal);
                if (pe < 0 || pe + 2 == max)
                {
                    sb.Append(value, p, max - p);
                    return sb.ToString();
                }
                pe++;
                sb.Append(value, p, pe + 1 - p);
            }
            else
            {
                while (pe < max && value[pe] != '}') pe++;
                if (pe == max)
                {
                    sb.Append(value, p, pe - p);
                    return sb.ToString();
                }
                string name = value[(p + 2)..pe];
                if (name == "/") sb.Append(Path.DirectorySeparatorChar);
                else sb.Append(property(name) ?? throw new JaasConfigurationException("unable to expand property " + name));
            }
            i = pe + 1;
            p = value.IndexOf("${", i, StringComparison.Ordinal);
            if (p < 0)
            {
                if (i < max) sb.Append(value, i, max - i);
                break;
            }
        }
        return sb.ToString();
    }

    /// <summary>The recursive-descent reader of <c>ConfigFile.readConfig</c> over <see cref="Tokenizer"/>.</summary>
    private sealed class Parser(string text, Func<string, string?> property)
    {
        private readonly Tokenizer _st = new(text);
        private Token _lookahead;

        public void Run(Dictionary<string, IReadOnlyList<JaasLoginModuleEntry>> sections)
        {
            _lookahead = _st.Next();
            while (_lookahead.Kind != TokenKind.Eof) ParseLoginEntry(sections);
        }

        private void ParseLoginEntry(Dictionary<string, IReadOnlyList<JaasLoginModuleEntry>> sections)
        {
            // Java takes whatever string the tokenizer last held as the name.
            string appName = _lookahead.Text ?? "";
            _lookahead = _st.Next();
            Match("{");
            var entries = new List<JaasLoginModuleEntry>();
            while (!Peek('}'))
            {
                string moduleClass = Match("module class name")!;
                string flagText = Match("controlFlag")!.ToUpperInvariant();
                var flag = flagText switch
                {
                    "REQUIRED" => JaasControlFlag.Required,
                    "REQUISITE" => JaasControlFlag.Requisite,
                    "SUFFICIENT" => JaasControlFlag.Sufficient,
                    "OPTIONAL" => JaasControlFlag.Optional,
                    _ => throw Error($"Invalid control flag, {flagText}"),
                };
                var options = new Dictionary<string, string>(StringComparer.Ordinal);
                while (!Peek(';'))
                {
                    string key = Match("option key")!;
                    Match("=");
                    options[key] = Expand(Match("option value")!);
                }
                _lookahead = _st.Next();
                entries.Add(new JaasLoginModuleEntry(moduleClass, flag, options));
            }
            Match("}");
            Match(";");
            if (sections.ContainsKey(appName)) throw Error($"Can not specify multiple entries for {appName}");
            sections[appName] = entries;
        }

        private string? Match(string expect)
        {
            var token = _lookahead;
            switch (token.Kind)
            {
                case TokenKind.Eof:
                    throw Error($"expected [{expect}], read [end of file]");
                case TokenKind.Word:
                case TokenKind.Quoted when token.Quote == '"':
                    if (expect is "module class name" or "controlFlag" or "option key" or "option value")
                    {
                        _lookahead = _st.Next();
                        return token.Text;
                    }
                    throw Error($"Line {_st.Line}: expected [{expect}], found [{token.Text ?? "null"}]");
                case TokenKind.Char when token.Char is '{' or ';' or '}' or '=':
                    if (expect.Length == 1 && expect[0] == token.Char)
                    {
                        _lookahead = _st.Next();
                        return null;
                    }
                    throw Error($"Line {_st.Line}: expected [{expect}]");
                default:
                    // Java prints the tokenizer's string, which numbers and other characters leave null.
                    throw Error($"Line {_st.Line}: expected [{expect}], found [{token.Text ?? "null"}]");
            }
        }

        private bool Peek(char c) => _lookahead.Kind == TokenKind.Char && _lookahead.Char == c;

        private string Expand(string value)
        {
            if (value.Length == 0) return value;
            string expanded;
            try
            {
                expanded = ExpandProperties(value, property);
            }
            catch (JaasConfigurationException e)
            {
                throw Error(e.Message);
            }
            if (expanded.Length == 0) throw Error($"Line {_st.Line}: system property [{value}] expanded to empty value");
            return expanded;
        }

        private static JaasConfigurationException Error(string detail) => new("Configuration Error:\n\t" + detail);
    }

    private enum TokenKind
    {
        Eof,
        Word,
        Quoted,
        Number,
        Char,
    }

    private readonly record struct Token(TokenKind Kind, string? Text, char Char = '\0', char Quote = '\0');

    /// <summary>
    /// <c>StreamTokenizer</c> as ConfigFile sets it up: letters, chars 160+ and <c>$ _ - *</c> start words;
    /// digits, '.' and '-' also continue them; a leading digit (or '-' then a digit) is a number; '"' and
    /// '\'' quote; '/' starts a comment; newlines are counted but otherwise blank.
    /// </summary>
    private sealed class Tokenizer(string text)
    {
        private int _pos;

        public int Line { get; private set; } = 1;

        private int Read() => _pos < text.Length ? text[_pos++] : -1;

        private void Unread(int c)
        {
            if (c >= 0) _pos--;
        }

        private static bool IsWhitespace(int c) => c is >= 0 and <= ' ';

        private static bool IsDigit(int c) => c is >= '0' and <= '9' or '.' or '-';

        private static bool IsAlpha(int c) =>
            c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= 160 or '$' or '_' or '-' or '*';

        public Token Next()
        {
            while (true)
            {
                int c = Read();
                while (IsWhitespace(c))
                {
                    if (c == '\r')
                    {
                        Line++;
                        if (_pos < text.Length && text[_pos] == '\n') _pos++;
                    }
                    else if (c == '\n')
                    {
                        Line++;
                    }
                    c = Read();
                }
                if (c < 0) return new Token(TokenKind.Eof, null);

                if (IsDigit(c))
                {
                    if (c == '-')
                    {
                        int next = Read();
                        if (next != '.' && next is < '0' or > '9')
                        {
                            Unread(next);
                            return new Token(TokenKind.Char, null, '-');
                        }
                        Unread(next);
                    }
                    else
                    {
                        Unread(c);
                    }
                    bool dot = false;
                    while (true)
                    {
                        int d = Read();
                        if (d == '.' && !dot) dot = true;
                        else if (d is < '0' or > '9')
                        {
                            Unread(d);
                            break;
                        }
                    }
                    return new Token(TokenKind.Number, null);
                }

                if (IsAlpha(c))
                {
                    int start = _pos - 1;
                    while (_pos < text.Length && (IsAlpha(text[_pos]) || IsDigit(text[_pos]))) _pos++;
                    return new Token(TokenKind.Word, text[start.._pos]);
                }

                if (c is '"' or '\'') return new Token(TokenKind.Quoted, ReadQuoted((char)c), Quote: (char)c);

                if (c == '/')
                {
                    int next = Read();
                    if (next == '*')
                    {
                        if (!SkipBlockComment()) return new Token(TokenKind.Eof, null);
                        continue;
                    }
                    // "//" and, since '/' is also a comment character, a lone '/' end at the line's end.
                    if (next != '/') Unread(next);
                    while (_pos < text.Length && text[_pos] is not ('\n' or '\r')) _pos++;
                    continue;
                }

                return new Token(TokenKind.Char, null, (char)c);
            }
        }

        // Ends after "*/"; false at end of input. Newlines are counted for messages.
        private bool SkipBlockComment()
        {
            int prev = 0;
            while (true)
            {
                int c = Read();
                if (c < 0) return false;
                if (c == '/' && prev == '*') return true;
                if (c == '\n' || (c == '\r' && !(_pos < text.Length && text[_pos] == '\n'))) Line++;
                prev = c;
            }
        }

        // Up to the matching quote or the end of the line; \a \b \f \n \r \t \v, octal up to \377, \x ⇒ x.
        private string ReadQuoted(char quote)
        {
            var sb = new StringBuilder();
            int d = Read();
            while (d >= 0 && d != quote && d != '\n' && d != '\r')
            {
                int c;
                if (d == '\\')
                {
                    c = Read();
                    int first = c;
                    if (c is >= '0' and <= '7')
                    {
                        c -= '0';
                        int c2 = Read();
                        if (c2 is >= '0' and <= '7')
                        {
                            c = (c << 3) + (c2 - '0');
                            c2 = Read();
                            if (c2 is >= '0' and <= '7' && first <= '3')
                            {
                                c = (c << 3) + (c2 - '0');
                                d = Read();
                            }
                            else
                            {
                                d = c2;
                            }
                        }
                        else
                        {
                            d = c2;
                        }
                    }
                    else
                    {
                        c = c switch
                        {
                            'a' => 0x7,
                            'b' => '\b',
                            'f' => 0xC,
                            'n' => '\n',
                            'r' => '\r',
                            't' => '\t',
                            'v' => 0xB,
                            _ => c,
                        };
                        d = Read();
                    }
                }
                else
                {
                    c = d;
                    d = Read();
                }
                sb.Append(c < 0 ? '\uffff' : (char)c);
            }
            // A newline (or end) closed an unterminated string: it is read again as the next token's start.
            if (d != quote) Unread(d);
            return sb.ToString();
        }
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"JaasConfiguration({Source ?? "text"}: {string.Join(", ", _sections.Keys)})");
}
