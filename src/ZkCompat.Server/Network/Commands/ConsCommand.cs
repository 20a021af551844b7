namespace ZkCompat.Server.Network.Commands;

/// <summary>cons and crst (Java's <c>ConsCommand</c>, <c>CnxnStatResetCommand</c>).</summary>
public static class ConsCommand
{
    public static void Run(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        foreach (var cnxn in c.Connections)
        {
            ConnectionInfo.Dump(c, cnxn, brief: false);
            c.Println();
        }
        c.Println();
    }

    public static void RunReset(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        foreach (var cnxn in c.Connections) cnxn.Stats.Reset();
        c.Println("Connection stats reset.");
    }
}
