using System.Text;

namespace ZkCompat.Server.Config;

/// <summary>
/// The one place that reads the command line, SERVER_JVMFLAGS, zoo.cfg and myid.
/// System properties are merged in the order a Java launch would see them: SERVER_JVMFLAGS,
/// then the <c>-D</c> arguments (later wins, as on a java command line), then zoo.cfg's unknown
/// keys as <c>zookeeper.&lt;key&gt;</c> (Java sets those with System.setProperty while parsing,
/// so they override a -D of the same name).
/// </summary>
public static class ConfigLoader
{
    public const string JvmFlagsVariable = "SERVER_JVMFLAGS";

    /// <summary>What the server runs on when no zoo.cfg is given.</summary>
    public const string EmbeddedDefaultConfig =
        "tickTime=2000\ndataDir=./data\nclientPort=2181\nclientPortAddress=127.0.0.1\n";

    /// <summary><see cref="Load"/> with SERVER_JVMFLAGS taken from the environment.</summary>
    public static ServerOptions LoadFromEnvironment(IReadOnlyList<string> args) =>
        Load(args, Environment.GetEnvironmentVariable(JvmFlagsVariable));

    /// <summary>
    /// args: <c>-Dname=value</c> entries and then, like QuorumPeerMain, either nothing (the embedded
    /// default), a zoo.cfg path, or the legacy <c>port dataDir [tickTime [maxClientCnxns]]</c>.
    /// </summary>
    public static ServerOptions Load(IReadOnlyList<string> args, string? jvmFlags)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in JvmFlags.ParseDefinitions(jvmFlags)) properties[name] = value;
        var positional = new List<string>();
        foreach (string arg in args)
        {
            if (JvmFlags.TryParseDefinition(arg, out string name, out string value)) properties[name] = value;
            else positional.Add(arg);
        }

        switch (positional.Count)
        {
            case 0:
                return Parse(EmbeddedDefaultConfig, properties, configDirectory: null, source: "the embedded default configuration");
            case 1:
                return LoadFile(positional[0], properties);
            case <= 4:
                return Parse(LegacyArguments(positional), properties, configDirectory: null, source: "the command line");
            default:
                throw new ConfigException("Invalid number of arguments:[" + string.Join(", ", positional) + "]");
        }
    }

    /// <summary>Parses zoo.cfg text; myid (and a dynamicConfigFile, if named) are read from disk.</summary>
    public static ServerOptions Parse(string zooCfgText, IReadOnlyDictionary<string, string> systemProperties, string? configDirectory) =>
        Parse(zooCfgText, systemProperties, configDirectory, source: "configuration");

    private static ServerOptions Parse(string text, IReadOnlyDictionary<string, string> systemProperties, string? configDirectory, string source)
    {
        Dictionary<string, string> cfg;
        try
        {
            cfg = JavaProperties.Load(text);
        }
        catch (ConfigException e)
        {
            throw new ConfigException($"Error processing {source}: {e.Message}", inner: e);
        }
        var options = new ZooCfgParser(cfg, systemProperties, source).Run();
        return options with { ConfigDirectory = configDirectory, InitialConfig = text };
    }

    private static ServerOptions LoadFile(string path, IReadOnlyDictionary<string, string> properties)
    {
        if (!File.Exists(path)) throw new ConfigException($"Error processing {path}: {path} file is missing");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"Error processing {path}: {e.Message}", inner: e);
        }
        // Properties.load(InputStream) decodes ISO-8859-1, so do the same to read the same keys and paths.
        var options = Parse(Encoding.Latin1.GetString(bytes), properties, Path.GetDirectoryName(Path.GetFullPath(path)), path);
        return options with { ConfigFile = path, InitialConfig = Encoding.UTF8.GetString(bytes) };
    }

    // ServerConfig.parse(String[]): port, dataDir, then optionally tickTime and maxClientCnxns.
    private static string LegacyArguments(List<string> args)
    {
        var sb = new StringBuilder();
        sb.Append("clientPort=").Append(Escape(args[0])).Append('\n');
        sb.Append("dataDir=").Append(Escape(args[1])).Append('\n');
        if (args.Count >= 3) sb.Append("tickTime=").Append(Escape(args[2])).Append('\n');
        if (args.Count == 4) sb.Append("maxClientCnxns=").Append(Escape(args[3])).Append('\n');
        return sb.ToString();
    }

    private static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                case '\f': sb.Append(@"\f"); break;
                default: sb.Append(c); break;
            }
        }
        // A leading blank would be eaten by the properties reader.
        if (sb.Length > 0 && sb[0] == ' ') sb.Insert(0, '\\');
        return sb.ToString();
    }
}
