using ZkCompat.Server.Processors;
using ZkCompat.Server.Watches;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// wchs, wchp and wchc (Java's <c>WatchCommand</c>). Like Java these look at the data watches only
/// (data and exists watches, and the data half of persistent ones); child watches are not listed.
/// </summary>
public static class WatchCommand
{
    public static void RunSummary(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        var summary = c.Server.Tree.DataWatches.GetSummary();
        c.Print(summary.Connections).Print(" connections watching ").Print(summary.Paths).Println(" paths");
        c.Print("Total watches:").Print(summary.TotalWatches);
        c.Println();
    }

    public static void RunByPath(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        foreach (var (path, watchers) in c.Server.Tree.DataWatches.WatchesByPath())
        {
            c.Println(path);
            foreach (var watcher in watchers) c.Print("\t0x").Print(JavaFormat.Hex(SessionOf(watcher))).Print("\n");
        }
        c.Println();
    }

    public static void RunByConnection(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        foreach (var (watcher, paths) in c.Server.Tree.DataWatches.WatchesByWatcher())
        {
            c.Print("0x").Println(JavaFormat.Hex(SessionOf(watcher)));
            foreach (string path in paths) c.Print("\t").Println(path);
        }
        c.Println();
    }

    /// <summary>The session a watch belongs to: its connection's (0 for a watcher that is not one).</summary>
    public static long SessionOf(IWatcher watcher) => watcher is IServerConnection cnxn ? cnxn.SessionId : 0;
}
