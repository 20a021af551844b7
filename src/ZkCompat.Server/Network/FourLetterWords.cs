using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace ZkCompat.Server.Network;

/// <summary>
/// Four-letter words: recognised in the first four bytes of a fresh connection, answered in
/// the Java server's text format, then the connection closes. Only whitelisted commands run
/// (<c>4lw.commands.whitelist</c>; Java 3.8's default is srvr alone).
/// </summary>
public static class FourLetterWords
{
    public const string ZkNotServing = "This ZooKeeper instance is not currently serving requests";

    /// <summary>The version line Java prints; clients and scripts parse the number.</summary>
    public const string Version = "3.8.0-zkcompat, built on 2026-11-25 00:00 UTC";

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat",
        "wchc", "wchp", "wchs", "mntr", "isro", "hash",
    };

    public static bool TryGetCommand(in ReadOnlySequence<byte> buffer, out string? command)
    {
        Span<byte> first = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(first);
        string candidate = Encoding.ASCII.GetString(first);
        command = Known.Contains(candidate) ? candidate : null;
        return command is not null;
    }

    public static async Task RunAsync(string command, ZooKeeperServer zks, PipeWriter output, CancellationToken ct)
    {
        var sb = new StringBuilder();
        if (!zks.Options.IsFourLetterWordEnabled(command))
            sb.Append(command).Append(" is not executed because it is not in the whitelist.\n");
        else
            Run(command, zks, sb);
        await output.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), ct).ConfigureAwait(false);
        await output.FlushAsync(ct).ConfigureAwait(false);
    }

    private static void Run(string command, ZooKeeperServer zks, StringBuilder sb)
    {
        switch (command)
        {
            case "ruok":
                sb.Append("imok");
                break;
            case "isro":
                sb.Append("rw");
                break;
            case "srvr":
            case "stat":
                sb.Append("Zookeeper version: ").Append(Version).Append('\n');
                if (command == "stat")
                {
                    // Per-client lines are added with the connection registry (cons).
                    sb.Append("Clients:\n\n");
                }
                var stats = zks.Stats;
                sb.Append("Latency min/avg/max: ").Append(stats.MinLatency).Append('/')
                  .Append(JavaDouble(stats.AvgLatency)).Append('/').Append(stats.MaxLatency).Append('\n');
                sb.Append("Received: ").Append(stats.PacketsReceived).Append('\n');
                sb.Append("Sent: ").Append(stats.PacketsSent).Append('\n');
                sb.Append("Connections: ").Append(zks.Connections.Count).Append('\n');
                sb.Append("Outstanding: ").Append(zks.OutstandingRequests).Append('\n');
                sb.Append("Zxid: 0x").Append(zks.Tree.LastProcessedZxid.ToString("x", CultureInfo.InvariantCulture)).Append('\n');
                sb.Append("Mode: standalone\n");
                sb.Append("Node count: ").Append(zks.Tree.NodeCount).Append('\n');
                break;
            default:
                sb.Append(ZkNotServing).Append('\n');
                break;
        }
    }

    /// <summary>Java's <c>Double.toString</c> for the values these outputs hold.</summary>
    public static string JavaDouble(double value)
    {
        string s = value.ToString("0.0###############", CultureInfo.InvariantCulture);
        return s;
    }
}
