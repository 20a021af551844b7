namespace ZkCompat.Server.Network.Commands;

/// <summary>conf and dirs (Java's <c>ZooKeeperServer.dumpConf</c>, <c>DirsCommand</c>).</summary>
public static class ConfCommand
{
    /// <summary>Java keeps snapshots and logs in a "version-2" folder under dataDir and dataLogDir.</summary>
    private const string VersionFolder = "version-2";

    public static void Run(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        var o = c.Server.Options;
        c.Print("clientPort=").Println(o.ClientPort > 0 ? o.ClientPort : -1);
        // Java prints -1 when it has no TLS port.
        c.Print("secureClientPort=").Println(o.SecureClientPort > 0 ? o.SecureClientPort : -1);
        c.Print("dataDir=").Println(SnapDir(c));
        c.Print("dataDirSize=").Println(DataDirSize(c));
        c.Print("dataLogDir=").Println(LogDir(c));
        c.Print("dataLogSize=").Println(LogDirSize(c));
        c.Print("tickTime=").Println(o.TickTime);
        c.Print("maxClientCnxns=").Println(o.MaxClientCnxns);
        c.Print("minSessionTimeout=").Println(o.EffectiveMinSessionTimeout);
        c.Print("maxSessionTimeout=").Println(o.EffectiveMaxSessionTimeout);
        c.Print("clientPortListenBacklog=").Println(o.ClientPortListenBacklog);
        // A standalone ZooKeeperServer reports server id 0 whatever myid says; quorum roles their myid.
        c.Print("serverId=").Println(c.Server.Role.ServerId);
        if (c.Server.Role.ConfExtra is { } extra) c.Print(extra());
    }

    public static void RunDirs(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        c.Print("datadir_size: ").Println(DataDirSize(c));
        c.Print("logdir_size: ").Println(LogDirSize(c));
    }

    /// <summary>Where snapshots go: dataDir/version-2, absolute.</summary>
    public static string SnapDir(FourLetterWordContext c) => Path.GetFullPath(Path.Combine(c.Server.Options.DataDir, VersionFolder));

    /// <summary>Where the txn log goes: dataLogDir/version-2, absolute.</summary>
    public static string LogDir(FourLetterWordContext c) => Path.GetFullPath(Path.Combine(c.Server.Options.DataLogDir, VersionFolder));

    // Java's getDataDirSize measures the txn log folder and getLogDirSize the snapshot folder (the
    // names are crossed in FileTxnSnapLog); kept, so the numbers match Java's when the dirs differ.
    public static long DataDirSize(FourLetterWordContext c) => DirSize(LogDir(c));

    public static long LogDirSize(FourLetterWordContext c) => DirSize(SnapDir(c));

    /// <summary>Sum of file lengths below a path; 0 for a missing or unreadable one, like <c>File.length</c>.</summary>
    public static long DirSize(string path)
    {
        try
        {
            if (File.Exists(path)) return new FileInfo(path).Length;
            if (!Directory.Exists(path)) return 0;
            long size = 0;
            foreach (string entry in Directory.EnumerateFileSystemEntries(path)) size += DirSize(entry);
            return size;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
