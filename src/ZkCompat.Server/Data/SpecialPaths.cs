namespace ZkCompat.Server.Data;

/// <summary>The nodes ZooKeeper owns (Java's <c>Quotas</c> and <c>ZooDefs.CONFIG_NODE</c>).</summary>
public static class SpecialPaths
{
    public const string Root = "/";

    /// <summary>The "proc" node holding quota and config.</summary>
    public const string Zookeeper = "/zookeeper";

    public const string Quota = "/zookeeper/quota";

    /// <summary>Holds the dynamic configuration; written by reconfig.</summary>
    public const string Config = "/zookeeper/config";

    /// <summary>Child of a quota node that holds the limits.</summary>
    public const string QuotaLimitNode = "zookeeper_limits";

    /// <summary>Child of a quota node that holds the measured counts.</summary>
    public const string QuotaStatNode = "zookeeper_stats";

    /// <summary>The paths that can never be deleted (Java's <c>DataTree.isSpecialPath</c>).</summary>
    public static bool IsSpecialPath(string path) =>
        path is Root or Zookeeper or Quota or Config;
}
