namespace ZkCompat.Server.Network.Commands;

/// <summary>One connection as cons and stat print it (Java's <c>ServerCnxn.dumpConnectionInfo</c>) and as dump lists it.</summary>
public static class ConnectionInfo
{
    /// <summary>
    /// <c> /ip:port[ops](queued=..,recved=..,sent=..</c>, and unless brief, for a connection with a
    /// session, its id, last op, times and latencies; then <c>)</c>. No line end.
    /// </summary>
    public static void Dump(FourLetterWordContext c, ClientConnection cnxn, bool brief)
    {
        var stats = cnxn.Stats;
        c.Print(" ").Print(JavaFormat.SocketAddress(cnxn.RemoteEndPoint));
        int interestOps = InterestOps(cnxn);
        c.Print("[").Print(interestOps == 0 ? "0" : JavaFormat.Hex(interestOps));
        c.Print("](queued=").Print(stats.Outstanding);
        c.Print(",recved=").Print(stats.PacketsReceived);
        c.Print(",sent=").Print(stats.PacketsSent);
        if (!brief)
        {
            long sessionId = cnxn.SessionId;
            if (sessionId != 0)
            {
                c.Print(",sid=0x").Print(JavaFormat.Hex(sessionId));
                c.Print(",lop=").Print(stats.LastOp);
                c.Print(",est=").Print(stats.Established.ToUnixTimeMilliseconds());
                c.Print(",to=").Print(cnxn.SessionTimeout);
                long lastCxid = stats.LastCxid;
                if (lastCxid >= 0) c.Print(",lcxid=0x").Print(JavaFormat.Hex(lastCxid));
                c.Print(",lzxid=0x").Print(JavaFormat.Hex(stats.LastZxid));
                c.Print(",lresp=").Print(stats.LastResponseTime);
                c.Print(",llat=").Print(stats.LastLatency);
                c.Print(",minlat=").Print(stats.MinLatency);
                c.Print(",avglat=").Print(stats.AvgLatency);
                c.Print(",maxlat=").Print(stats.MaxLatency);
            }
        }
        c.Print(")");
    }

    /// <summary>Java's <c>NIOServerCnxn.toString</c>, one line of the dump's connection list.</summary>
    public static string Brief(ClientConnection cnxn) =>
        "ip: " + JavaFormat.SocketAddress(cnxn.RemoteEndPoint) + " sessionId: 0x" + JavaFormat.Hex(cnxn.SessionId);

    /// <summary>
    /// The selector interest Java reports: OP_READ (1) while the connection is read, 0 for a connection
    /// carrying a four-letter word, whose key Java cancels. We never wait on writability, so OP_WRITE
    /// (4) does not appear.
    /// </summary>
    public static int InterestOps(ClientConnection cnxn) => cnxn.Stats.FourLetterWord is null ? 1 : 0;
}
