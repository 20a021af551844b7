using System.Globalization;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// srvr and stat (Java's <c>StatCommand</c>): the version line, for stat the clients, then the
/// server statistics and the node count.
/// </summary>
public static class StatCommand
{
    public static void Run(FourLetterWordContext c, bool withClients)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        c.Print("Zookeeper version: ").Println(FourLetterWords.Version);
        // A read-only server would print "READ-ONLY mode; serving only read-only clients" here.
        if (withClients)
        {
            c.Println("Clients:");
            foreach (var cnxn in c.Connections)
            {
                ConnectionInfo.Dump(c, cnxn, brief: true);
                c.Println();
            }
            c.Println();
        }
        c.Print(ServerStatsText(c));
        c.Print("Node count: ").Println(c.Server.Tree.NodeCount);
        // A leader appends "Proposal sizes last/min/max: l/min/max"; standalone servers have none.
        if (c.Server.Role.StatExtra is { } extra) c.Print(extra());
    }

    /// <summary>Java's <c>ServerStats.toString</c>.</summary>
    public static string ServerStatsText(FourLetterWordContext c)
    {
        var stats = c.Server.Stats;
        var inv = CultureInfo.InvariantCulture;
        return "Latency min/avg/max: " + stats.MinLatency.ToString(inv) + "/" + AvgLatency(stats) + "/" + stats.MaxLatency.ToString(inv) + "\n"
            + "Received: " + stats.PacketsReceived.ToString(inv) + "\n"
            + "Sent: " + stats.PacketsSent.ToString(inv) + "\n"
            + "Connections: " + c.Connections.Count.ToString(inv) + "\n"
            + "Outstanding: " + c.Server.OutstandingRequests.ToString(inv) + "\n"
            + "Zxid: 0x" + JavaFormat.Hex(c.Server.Tree.LastProcessedZxid) + "\n"
            + "Mode: " + c.ServerState + "\n";
    }

    /// <summary>The server's average latency as Java prints it: rounded half-up to 4 places, then Double.toString.</summary>
    public static string AvgLatency(ServerStats stats) => JavaFormat.Double(JavaFormat.RoundHalfUp4(stats.AvgLatency));
}
