using System.Globalization;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Quorum.Election;

/// <summary>
/// The quorum config as text, the way peers exchange it (NEWLEADER, /zookeeper/config, reconfig txns) and
/// the way Java writes it to <c>zoo.cfg.dynamic.&lt;version&gt;</c>.
/// </summary>
public static class QuorumConfig
{
    /// <summary>Parses <c>server.N=...</c> lines (commas or newlines between them) and an optional <c>version=hex</c>.</summary>
    /// <exception cref="ConfigException">A malformed line.</exception>
    public static QuorumMaj Parse(string text, long? version = null)
    {
        var servers = new List<QuorumServerSpec>();
        long parsedVersion = 0;
        foreach (string raw in text.Replace(',', '\n').Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int eq = line.IndexOf('=');
            if (eq < 0) throw new ConfigException($"bad config line: {line}");
            string key = line[..eq].Trim(), value = line[(eq + 1)..].Trim();
            if (key == "version")
            {
                parsedVersion = long.Parse(value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
            else if (key.StartsWith("server.", StringComparison.Ordinal)
                     && long.TryParse(key["server.".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out long sid))
            {
                servers.Add(QuorumServerParser.Parse(sid, value, multiAddressEnabled: false));
            }
            else
            {
                throw new ConfigException($"unrecognised dynamic config key: {key}");
            }
        }
        return new QuorumMaj(servers, version ?? parsedVersion);
    }

    /// <summary>Java's writeDynamicConfig: the sorted <c>server.N=...</c> lines, no version, no final newline.</summary>
    public static string DynamicFileText(QuorumMaj qv) =>
        string.Join("\n", qv.AllMembers.Select(m => "server." + m.Id.ToString(CultureInfo.InvariantCulture) + "=" + m.ToConfigValue())
            .Order(StringComparer.Ordinal));

    /// <summary>
    /// Java's QuorumPeer.setQuorumVerifier(qv, true) on disk: <c>&lt;zoo.cfg&gt;.dynamic.&lt;hex version&gt;</c>, and
    /// zoo.cfg rewritten without its membership lines and pointing at the dynamic file (editStaticConfig).
    /// Returns the dynamic file's path, or null when the server was not started from a file.
    /// </summary>
    public static string? Persist(ServerOptions options, QuorumMaj qv)
    {
        if (options.ConfigFile is not { } configFile) return null;
        string dynamicFile = Path.GetFullPath(configFile + ".dynamic." + qv.Version.ToString("x", CultureInfo.InvariantCulture));
        WriteAtomically(dynamicFile, DynamicFileText(qv));
        var kept = new List<string>();
        foreach (var (key, value) in JavaProperties.Load(File.ReadAllText(configFile)))
        {
            if (key.StartsWith("server.", StringComparison.Ordinal) || key.StartsWith("group", StringComparison.Ordinal)
                || key.StartsWith("weight", StringComparison.Ordinal) || key.StartsWith("dynamicConfigFile", StringComparison.Ordinal)
                || key.StartsWith("peerType", StringComparison.Ordinal))
                continue;
            kept.Add(key.Trim() + "=" + value.Trim() + "\n");
        }
        kept.Add("dynamicConfigFile=" + dynamicFile + "\n");
        WriteAtomically(configFile, string.Concat(kept));
        return dynamicFile;
    }

    private static void WriteAtomically(string path, string text)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
