using System.Text;

namespace ZkCompat.Server.Config;

/// <summary>
/// Reads Java-style system property definitions: <c>-Dname=value</c> arguments and the
/// SERVER_JVMFLAGS string that zkServer.sh puts on the java command line. Only <c>-D</c> entries
/// mean anything here; heap sizes and other JVM switches are ignored.
/// </summary>
internal static class JvmFlags
{
    /// <summary>The <c>-D</c> definitions in a flags string, in order (a later one wins when merged).</summary>
    public static IEnumerable<KeyValuePair<string, string>> ParseDefinitions(string? flags)
    {
        foreach (string token in Tokenize(flags))
        {
            if (TryParseDefinition(token, out string name, out string value))
                yield return new(name, value);
        }
    }

    /// <summary><c>-Dname=value</c> ⇒ (name, value); <c>-Dname</c> ⇒ (name, "") as java does.</summary>
    public static bool TryParseDefinition(string token, out string name, out string value)
    {
        name = value = "";
        if (!token.StartsWith("-D", StringComparison.Ordinal)) return false;
        string body = token[2..];
        int eq = body.IndexOf('=');
        name = eq < 0 ? body : body[..eq];
        value = eq < 0 ? "" : body[(eq + 1)..];
        return name.Length > 0;
    }

    /// <summary>
    /// Splits on blanks the way a POSIX shell would for a command line: '…' is literal, "…" allows
    /// \" \\ \$ \` escapes, a backslash outside quotes escapes the next character. Users write
    /// <c>SERVER_JVMFLAGS='-Dzookeeper.4lw.commands.whitelist="stat, ruok"'</c> and expect one value.
    /// </summary>
    public static List<string> Tokenize(string? flags)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(flags)) return tokens;
        var current = new StringBuilder();
        bool inToken = false;
        int i = 0;
        while (i < flags.Length)
        {
            char c = flags[i++];
            if (char.IsWhiteSpace(c))
            {
                if (inToken) tokens.Add(current.ToString());
                current.Clear();
                inToken = false;
                continue;
            }
            inToken = true;
            switch (c)
            {
                case '\'':
                    while (i < flags.Length && flags[i] != '\'') current.Append(flags[i++]);
                    i++; // closing quote (an unterminated one runs to the end)
                    break;
                case '"':
                    while (i < flags.Length && flags[i] != '"')
                    {
                        if (flags[i] == '\\' && i + 1 < flags.Length && flags[i + 1] is '"' or '\\' or '$' or '`')
                            i++;
                        current.Append(flags[i++]);
                    }
                    i++;
                    break;
                case '\\':
                    if (i < flags.Length) current.Append(flags[i++]);
                    break;
                default:
                    current.Append(c);
                    break;
            }
        }
        if (inToken) tokens.Add(current.ToString());
        return tokens;
    }
}
