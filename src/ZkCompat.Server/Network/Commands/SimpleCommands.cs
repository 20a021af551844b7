using System.Runtime.CompilerServices;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// The one-line words: ruok, isro, gtmk, stmk, srst and hash (Java's <c>RuokCommand</c>,
/// <c>IsroCommand</c>, <c>TraceMaskCommand</c>, <c>SetTraceMaskCommand</c>, <c>StatResetCommand</c>,
/// <c>DigestCommand</c>).
/// </summary>
public static class SimpleCommands
{
    /// <summary>
    /// ZooTrace's default mask: client requests (1 &lt;&lt; 1), server packets (1 &lt;&lt; 4),
    /// sessions (1 &lt;&lt; 5) and warnings (1 &lt;&lt; 8) = 306.
    /// </summary>
    public const long DefaultTraceMask = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 8);

    // Java keeps the mask in a static; one per server here, so servers in one process stay apart.
    private static readonly ConditionalWeakTable<ZooKeeperServer, StrongBox<long>> TraceMasks = new();

    /// <summary>No newline after imok: scripts compare the whole answer.</summary>
    public static void Ruok(FourLetterWordContext c) => c.Print("imok");

    /// <summary>"rw", "ro" for a read-only server, "null" when not serving; no newline.</summary>
    public static void Isro(FourLetterWordContext c) => c.Print(!c.IsServing ? "null" : c.Server.Role.ReadOnly ? "ro" : "rw");

    public static void GetTraceMask(FourLetterWordContext c) => c.Print(GetTraceMask(c.Server));

    /// <summary>Sets the mask to the 8 bytes that followed the word and prints it back.</summary>
    public static void SetTraceMask(FourLetterWordContext c)
    {
        SetTraceMask(c.Server, c.TraceMaskArgument);
        c.Print(c.TraceMaskArgument);
    }

    public static void StatReset(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        c.Server.Stats.Reset();
        c.Println("Server stats reset.");
    }

    /// <summary>
    /// hash: Java prints "hexZxid: digest" for every 128th zxid it applied (its digest log). We keep
    /// no tree digest yet, so the log is empty, which is also Java's answer before zxid 0x80.
    /// Not serving prints the message without a newline, as Java does for this one word.
    /// </summary>
    public static void Hash(FourLetterWordContext c)
    {
        if (!c.IsServing) c.Print(FourLetterWordContext.NotServing);
    }

    public static long GetTraceMask(ZooKeeperServer server) =>
        TraceMasks.TryGetValue(server, out var box) ? Interlocked.Read(ref box.Value) : DefaultTraceMask;

    public static void SetTraceMask(ZooKeeperServer server, long mask)
    {
        var box = TraceMasks.GetValue(server, _ => new StrongBox<long>(DefaultTraceMask));
        Interlocked.Exchange(ref box.Value, mask);
    }
}
