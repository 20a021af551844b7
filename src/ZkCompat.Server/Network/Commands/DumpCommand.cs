namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// dump (Java's <c>DumpCommand</c>): sessions by expiry bucket, ephemerals by session, and
/// connections by expiry bucket, each bucket dated with Java's <c>Date.toString</c>.
/// </summary>
public static class DumpCommand
{
    public static void Run(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        long nowMs = ConnectionStats.MonotonicMs(c.Server.Time);
        var wallNow = c.Server.Time.GetUtcNow();

        c.Println("SessionTracker dump:");
        DumpBuckets(c, "Session ", SessionBuckets(c.Server), id => "0x" + JavaFormat.Hex(id), nowMs, wallNow);

        c.Println("ephemeral nodes dump:");
        var ephemerals = c.Server.Tree.GetAllEphemerals();
        c.Println("Sessions with Ephemerals (" + ephemerals.Count + "):");
        foreach (var (sessionId, paths) in ephemerals)
        {
            c.Print("0x" + JavaFormat.Hex(sessionId)).Println(":");
            foreach (string path in paths) c.Println("\t" + path);
        }

        c.Println("Connections dump:");
        var options = c.Server.Options;
        long interval = Math.Max(1, options.SessionlessCnxnTimeoutMs);
        var cnxnBuckets = new SortedDictionary<long, List<ClientConnection>>();
        foreach (var cnxn in c.Connections)
        {
            // Java touches a connection on every I/O with its session timeout, or the sessionless
            // timeout before it has a session, in buckets as wide as the sessionless timeout.
            int timeout = cnxn.SessionTimeout > 0 ? cnxn.SessionTimeout : options.SessionlessCnxnTimeoutMs;
            long expiry = ((cnxn.Stats.LastTouchedMs + timeout) / interval + 1) * interval;
            if (!cnxnBuckets.TryGetValue(expiry, out var list)) cnxnBuckets[expiry] = list = [];
            list.Add(cnxn);
        }
        DumpBuckets(c, "Connections ", cnxnBuckets, ConnectionInfo.Brief, nowMs, wallNow);
    }

    /// <summary>Session ids by the expiry bucket (tracker ms) they are due in, buckets and ids ascending.</summary>
    public static SortedDictionary<long, List<long>> SessionBuckets(ZooKeeperServer server)
    {
        var sessions = server.Sessions;
        var buckets = new SortedDictionary<long, List<long>>();
        foreach (long id in sessions.GetSessionsWithTimeouts().Keys)
        {
            if (sessions.GetExpiryTime(id) is not { } expiry) continue;
            if (!buckets.TryGetValue(expiry, out var ids)) buckets[expiry] = ids = [];
            ids.Add(id);
        }
        // Java's bucket sets are hash sets: order within a bucket is unspecified; ids sort for a stable answer.
        foreach (var ids in buckets.Values) ids.Sort();
        return buckets;
    }

    /// <summary>Java's <c>ExpiryQueue.dump</c>, after the prefix its caller prints.</summary>
    private static void DumpBuckets<T>(FourLetterWordContext c, string prefix, SortedDictionary<long, List<T>> buckets,
        Func<T, string> describe, long nowMs, DateTimeOffset wallNow)
    {
        int elements = buckets.Values.Sum(b => b.Count);
        c.Print(prefix).Println("Sets (" + buckets.Count + ")/(" + elements + "):");
        foreach (var (time, members) in buckets)
        {
            // Java's Time.elapsedTimeToDate: the wall clock shifted by the distance on the monotonic one.
            var date = wallNow.AddMilliseconds(time - nowMs);
            c.Print(members.Count).Print(" expire at ").Print(JavaFormat.Date(date)).Println(":");
            foreach (var member in members) c.Println("\t" + describe(member));
        }
    }
}
