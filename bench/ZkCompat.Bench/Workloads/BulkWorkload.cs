using System.Globalization;
using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Bench.Workloads;

/// <summary>
/// Loads <c>nodes</c> znodes (1,000 per parent) with pipelined creates, then reports the server's
/// resident memory, how long its snapshots took to write, and the crash-recovery time: SIGKILL,
/// the restart command, and the time until a getData is answered again.
/// </summary>
public static class BulkWorkload
{
    private const int ChildrenPerParent = 1000;
    private const string Root = "/bench-bulk";

    public static async Task<RunResult> RunAsync(BenchOptions o, TimeProvider time, TextWriter log)
    {
        var result = new RunResult(o.Workload, o.Label);
        byte[] payload = new byte[o.DataSize];
        new Random(o.Seed).NextBytes(payload);
        int parents = (o.Nodes + ChildrenPerParent - 1) / ChildrenPerParent;
        string[] parentPaths = [.. Enumerable.Range(0, parents).Select(p => $"{Root}/p{p:D4}")];
        string firstNode = NodePath(parentPaths, 0);

        await using (var setup = await Sessions.ConnectWhenUpAsync(o.SetupServer, time, o.MaxWait))
        {
            await Sessions.EnsurePathAsync(setup, Root);
            await KeyValueWorkload.CreateNodesAsync(setup, parentPaths, []);
        }

        await using var snapshots = o.SnapDir is null ? null : new SnapshotWatcher(o.SnapDir, time);
        var servers = o.Servers;
        var clients = await Sessions.OpenAsync(servers, o.Sessions, time, o.SessionTimeout);
        try
        {
            await Sessions.SyncWithSetupAsync(clients, servers.Count, Root, parentPaths[^1]);
            long next = -1;
            var loop = new ClosedLoop(clients, o.Outstanding, time, servers.Count);
            await loop.RunAsync((c, _, _) =>
            {
                long index = Interlocked.Increment(ref next);
                return c.CreateAsync(NodePath(parentPaths, index), payload, Acls.OpenAclUnsafe);
            }, o.Duration, o.Nodes, result);
        }
        finally
        {
            await Sessions.CloseAsync(clients);
        }
        log.WriteLine($"bulk: {result.Ops} creates in {result.Elapsed.TotalSeconds:F1} s");

        if (snapshots is not null)
        {
            var written = await snapshots.FinishAsync(o.MaxWait);
            var largest = written.OrderByDescending(s => s.Bytes).FirstOrDefault();
            result.Add("snaps", written.Count);
            if (largest is not null)
            {
                result.Add("snap_mb", largest.Bytes / 1048576.0);
                // Below the watcher's poll interval the start was never seen: say so rather than print 0.
                double ms = largest.WriteTime.TotalMilliseconds;
                if (ms < SnapshotWatcher.PollInterval.TotalMilliseconds)
                    result.Add("snap_ms", "<" + SnapshotWatcher.PollInterval.TotalMilliseconds.ToString(CultureInfo.InvariantCulture));
                else
                    result.Add("snap_ms", ms);
            }
            else
            {
                result.Add("snap_ms", "NA");
            }
        }

        if (o.PidFile is null) return result;
        int pid = ServerProcess.ReadPid(o.PidFile);
        if (ServerProcess.ResidentMegabytes(pid) is { } rss) result.Add("rss_mb", rss);

        if (o.RestartCommand is null) return result;
        await ServerProcess.KillAsync(pid, time, TimeSpan.FromSeconds(30));
        long restartAt = time.GetTimestamp();
        await ServerProcess.RunRestartCommandAsync(o.RestartCommand, time, o.MaxWait);
        await using var probe = await AnswerGetDataAsync(o, firstNode, time);
        result.Add("recover_ms", time.GetElapsedTime(restartAt).TotalMilliseconds);
        int pidAfter = ServerProcess.ReadPid(o.PidFile);
        if (ServerProcess.ResidentMegabytes(pidAfter) is { } rssAfter) result.Add("rss_restart_mb", rssAfter);
        // A recovery that lost writes would make the timing meaningless: count what came back.
        int recovered = await probe.GetAllChildrenNumberAsync(Root);
        result.Add("recovered", recovered.ToString(CultureInfo.InvariantCulture));
        if (recovered != parents + result.Ops) result.Errors += Math.Abs(parents + result.Ops - recovered);
        return result;
    }

    private static string NodePath(string[] parents, long index) =>
        $"{parents[index / ChildrenPerParent]}/n{index % ChildrenPerParent:D3}";

    /// <summary>Connects and reads until the restarted server answers; bounded by the run's max wait.</summary>
    private static async Task<ZooKeeperClient> AnswerGetDataAsync(BenchOptions o, string path, TimeProvider time)
    {
        long start = time.GetTimestamp();
        while (true)
        {
            var client = await Sessions.ConnectWhenUpAsync(o.SetupServer, time, o.MaxWait);
            try
            {
                await client.GetDataAsync(path);
                return client;
            }
            catch (KeeperException) when (time.GetElapsedTime(start) < o.MaxWait)
            {
                await client.DisposeAsync();
                await Task.Delay(TimeSpan.FromMilliseconds(20), time);
            }
        }
    }
}
