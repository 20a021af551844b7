using Microsoft.Extensions.Logging;
using ZkCompat.Protocol;
using ZkCompat.Server.Config;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Processors;

/// <summary>
/// Quota enforcement in the prep stage (Java's <c>ZooKeeperServer.checkQuota</c>), on with
/// <c>zookeeper.enforceQuota=true</c>. Only the deepest quota'd prefix of the path is checked, against
/// the applied tree (not the outstanding changes), as in Java: a hard limit refuses the write, a soft
/// one is only logged.
/// </summary>
public static partial class QuotaChecker
{
    /// <param name="path">The node created or written.</param>
    /// <param name="lastData">The node's current data (setData; null for create).</param>
    /// <param name="data">The data the request writes.</param>
    /// <param name="op"><see cref="OpCode.Create"/> for every kind of create, or <see cref="OpCode.SetData"/>.</param>
    /// <exception cref="KeeperException">QuotaExceeded, naming the quota'd prefix rather than the path.</exception>
    /// <exception cref="InvalidOperationException">
    /// Unreadable limits or stats text; Java fails the request with MARSHALLINGERROR then, which is
    /// what the prep stage makes of this exception.
    /// </exception>
    public static void CheckQuota(DataTree tree, ServerOptions options, string path, byte[]? lastData, byte[]? data,
        OpCode op, ILogger log)
    {
        if (!options.EnforceQuota) return;
        long dataBytes = data?.Length ?? 0;
        string? lastPrefix = tree.GetMaxPrefixWithQuota(path);
        if (string.IsNullOrEmpty(lastPrefix)) return;

        switch (op)
        {
            case OpCode.Create:
                CheckQuota(tree, lastPrefix, dataBytes, 1, log);
                break;
            case OpCode.SetData:
                CheckQuota(tree, lastPrefix, dataBytes - (lastData?.Length ?? 0), 0, log);
                break;
            default:
                throw new ArgumentException("Unsupported OpCode for checkQuota: " + op, nameof(op));
        }
    }

    private static void CheckQuota(DataTree tree, string lastPrefix, long bytesDiff, long countDiff, ILogger log)
    {
        string limitPath = Quotas.LimitPath(lastPrefix);
        var limitNode = tree.GetNode(limitPath);
        if (limitNode is null)
        {
            LogMissingLimitNode(log, limitPath);
            return;
        }
        var limits = ReadStats(limitNode);

        // -1 means unset; a check happens only if this write moves a figure that has a limit.
        bool checkCount = countDiff != 0 && (limits.Count > -1 || limits.CountHardLimit > -1);
        bool checkBytes = bytesDiff != 0 && (limits.Bytes > -1 || limits.ByteHardLimit > -1);
        if (!checkCount && !checkBytes) return;

        string statPath = Quotas.StatPath(lastPrefix);
        var statNode = tree.GetNode(statPath);
        if (statNode is null)
        {
            LogMissingStatNode(log, statPath);
            return;
        }
        var current = ReadStats(statNode);

        if (checkCount)
        {
            long newCount = current.Count + countDiff;
            bool hard = limits.CountHardLimit > -1;
            long limit = hard ? limits.CountHardLimit : limits.Count;
            if (newCount > limit)
            {
                LogCountExceeded(log, lastPrefix, newCount, hard ? "hard" : "soft", limit);
                if (hard) throw new KeeperException(ErrorCode.QuotaExceeded, lastPrefix);
            }
        }

        if (checkBytes)
        {
            long newBytes = current.Bytes + bytesDiff;
            bool hard = limits.ByteHardLimit > -1;
            long limit = hard ? limits.ByteHardLimit : limits.Bytes;
            if (newBytes > limit)
            {
                LogBytesExceeded(log, lastPrefix, newBytes, hard ? "hard" : "soft", limit);
                if (hard) throw new KeeperException(ErrorCode.QuotaExceeded, lastPrefix);
            }
        }
    }

    private static StatsTrack ReadStats(DataNode node)
    {
        try
        {
            // A stored data array is never changed in place, so reading the reference is enough.
            return StatsTrack.Parse(node.Data);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException("Unreadable quota node: " + e.Message, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quota exceeded: {LastPrefix} [current count={Count}, {Kind}CountLimit={Limit}]")]
    private static partial void LogCountExceeded(ILogger log, string lastPrefix, long count, string kind, long limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quota exceeded: {LastPrefix} [current bytes={Bytes}, {Kind}ByteLimit={Limit}]")]
    private static partial void LogBytesExceeded(ILogger log, string lastPrefix, long bytes, string kind, long limit);

    [LoggerMessage(Level = LogLevel.Error, Message = "Missing limit node for quota {LimitPath}")]
    private static partial void LogMissingLimitNode(ILogger log, string limitPath);

    [LoggerMessage(Level = LogLevel.Error, Message = "Missing node for stat {StatPath}")]
    private static partial void LogMissingStatNode(ILogger log, string statPath);
}
