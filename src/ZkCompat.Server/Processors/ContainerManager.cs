using System.Text;
using Microsoft.Extensions.Logging;
using ZkCompat.Protocol;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Processors;

/// <summary>
/// Reaps empty containers and expired TTL nodes (Java's <c>ContainerManager</c>): every
/// <c>znode.container.checkIntervalMs</c> it collects candidates from the tree and submits an
/// internal deleteContainer request for each, at most <c>znode.container.maxPerMinute</c> a
/// minute. Prep re-checks each one, so a node that gained a child meanwhile survives.
/// </summary>
public sealed partial class ContainerManager(ZooKeeperServer zks, ILogger log)
{
    /// <summary>The paths to delete now (public for tests).</summary>
    public IReadOnlyList<string> GetCandidates()
    {
        var tree = zks.Tree;
        long now = zks.Time.GetUtcNow().ToUnixTimeMilliseconds();
        long maxNeverUsed = zks.Options.ContainerMaxNeverUsedIntervalMs;
        var candidates = new List<string>();
        foreach (string path in tree.GetContainers())
        {
            if (tree.GetNode(path) is not { ChildCount: 0 } node) continue;
            var stat = node.CopyStatPersisted();
            // cversion 0: never had a child yet; keep it unless it has been unused too long.
            if (stat.Cversion > 0 || (maxNeverUsed != 0 && now - stat.Mtime > maxNeverUsed))
                candidates.Add(path);
        }
        foreach (string path in tree.GetTtls())
        {
            if (tree.GetNode(path) is not { ChildCount: 0 } node) continue;
            var stat = node.CopyStatPersisted();
            if (EphemeralTypes.Get(stat.EphemeralOwner, zks.Options.ExtendedTypesEnabled) != EphemeralType.Ttl) continue;
            long ttl = EphemeralTypes.GetTtl(stat.EphemeralOwner);
            if (ttl != 0 && now - stat.Mtime > ttl) candidates.Add(path);
        }
        return candidates;
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(1, zks.Options.ContainerCheckIntervalMs));
        using var timer = new PeriodicTimer(interval, zks.Time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            await ReapAsync(ct).ConfigureAwait(false);
    }

    /// <summary>One pass: a deleteContainer request per candidate, paced to maxPerMinute.</summary>
    public async Task ReapAsync(CancellationToken ct)
    {
        var minGap = TimeSpan.FromMilliseconds(60_000.0 / Math.Max(1, zks.Options.ContainerMaxPerMinute));
        var candidates = GetCandidates();
        for (int i = 0; i < candidates.Count; i++)
        {
            LogReaping(candidates[i]);
            await zks.SubmitInternalAsync(new Request(null, 0, 0, OpCode.DeleteContainer, Encoding.UTF8.GetBytes(candidates[i]), []))
                .ConfigureAwait(false);
            // Pacing under a millisecond is not worth a timer.
            if (i + 1 < candidates.Count && minGap >= TimeSpan.FromMilliseconds(1))
                await Task.Delay(minGap, zks.Time, ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Attempting to delete candidate container: {Path}")]
    private partial void LogReaping(string path);
}
