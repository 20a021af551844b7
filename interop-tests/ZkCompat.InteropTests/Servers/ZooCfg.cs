using System.Globalization;
using System.Text;

namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// A standalone <c>zoo.cfg</c>, written identically for the Java server and for ZkCompat. The rig owns
/// <see cref="ClientPort"/> and <see cref="DataDir"/>; tests adjust the rest through the
/// <c>configure</c> callback of <see cref="ZooKeeperProcesses.StartAsync"/>.
/// </summary>
public sealed class ZooCfg
{
    public int TickTime { get; set; } = 2000;

    public string ClientPortAddress { get; set; } = "127.0.0.1";

    /// <summary><c>4lw.commands.whitelist</c>; the rig needs at least <c>ruok</c> to see that the server is up.</summary>
    public string FourLetterWordWhitelist { get; set; } = "*";

    /// <summary><c>admin.enableServer</c>: off, the tests do not use the AdminServer and it would need a port.</summary>
    public bool AdminEnableServer { get; set; }

    /// <summary>
    /// <c>extendedTypesEnabled</c>: TTL nodes. Java turns unknown zoo.cfg keys into <c>zookeeper.*</c> system
    /// properties, which is how this key reaches <c>EphemeralType</c>.
    /// </summary>
    public bool ExtendedTypesEnabled { get; set; }

    /// <summary>Further <c>key=value</c> lines, written after the ones above in the order they were set.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extra => _extra;

    private readonly List<KeyValuePair<string, string>> _extra = [];

    /// <summary>Set by the rig: a free loopback port.</summary>
    public int ClientPort { get; internal set; }

    /// <summary>Set by the rig: a fresh directory that is deleted with the server.</summary>
    public string DataDir { get; internal set; } = "";

    /// <summary>Adds (or replaces) an extra <c>key=value</c> line.</summary>
    public ZooCfg Set(string key, string value)
    {
        int index = _extra.FindIndex(kv => kv.Key == key);
        if (index >= 0) _extra[index] = new(key, value);
        else _extra.Add(new(key, value));
        return this;
    }

    /// <summary>The file text.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        void Line(string key, object value) =>
            sb.Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');

        Line("tickTime", TickTime);
        Line("dataDir", DataDir);
        Line("clientPort", ClientPort);
        Line("clientPortAddress", ClientPortAddress);
        Line("4lw.commands.whitelist", FourLetterWordWhitelist);
        Line("admin.enableServer", AdminEnableServer ? "true" : "false");
        if (ExtendedTypesEnabled) Line("extendedTypesEnabled", "true");
        foreach (var (key, value) in Extra) Line(key, value);
        return sb.ToString();
    }
}
