namespace ZkCompat.Server.Data;

public sealed partial class DataTree
{
    /// <summary>
    /// Java's <c>ZKDatabase.initConfigInZKDatabase</c>: /zookeeper/config holds the quorum config text, with
    /// version -1 and the config version as its mzxid, set outside any txn on every peer alike.
    /// </summary>
    public void InitConfigNode(string configText, long configVersion, long time)
    {
        if (GetNode(SpecialPaths.Config) is null) AddConfigNode();
        TrySetData(SpecialPaths.Config, System.Text.Encoding.UTF8.GetBytes(configText), -1, configVersion, time, out _);
    }
}
