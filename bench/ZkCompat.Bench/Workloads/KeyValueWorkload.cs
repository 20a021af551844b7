using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Bench.Workloads;

/// <summary>
/// get, set, mix (reads/writes by percentage) over a fixed set of znodes, and churn
/// (create then delete a node of the worker's own), all closed-loop over many pipelined sessions;
/// ens-set and ens-mix are set and mix with the sessions spread over an ensemble's servers.
/// </summary>
public static class KeyValueWorkload
{
    private const int SetupBatch = 500;

    public static async Task<RunResult> RunAsync(BenchOptions o, TimeProvider time)
    {
        var result = new RunResult(o.Workload, o.Label);
        string root = "/bench-" + o.Workload;
        byte[] payload = new byte[o.DataSize];
        new Random(o.Seed).NextBytes(payload);

        string[] paths = NodePaths(root, o.Nodes);
        bool hasNodes = o.Operation != "churn";
        await using (var setup = await Sessions.ConnectWhenUpAsync(o.SetupServer, time, o.MaxWait))
        {
            await Sessions.EnsurePathAsync(setup, root);
            if (hasNodes) await CreateNodesAsync(setup, paths, payload);
        }

        var servers = o.Servers;
        var clients = await Sessions.OpenAsync(servers, o.Sessions, time, o.SessionTimeout);
        try
        {
            await Sessions.SyncWithSetupAsync(clients, servers.Count, root, hasNodes ? paths[^1] : root);
            var loop = new ClosedLoop(clients, o.Outstanding, time, servers.Count);
            Operation op = o.Operation switch
            {
                "get" => (c, _, _) => c.GetDataAsync(Pick(paths)),
                "set" => (c, _, _) => c.SetDataAsync(Pick(paths), payload),
                "mix" => (c, _, _) => Random.Shared.Next(100) < o.ReadPercent ? (Task)c.GetDataAsync(Pick(paths)) : c.SetDataAsync(Pick(paths), payload),
                "churn" => Churn(root, loop.Workers, payload),
                _ => throw new ArgumentException("not a key-value workload: " + o.Workload),
            };
            if (o.Warmup > TimeSpan.Zero) await loop.RunAsync(op, o.Warmup, long.MaxValue, null);
            await loop.RunAsync(op, o.Duration, o.MaxOps, result);
        }
        finally
        {
            await Sessions.CloseAsync(clients);
        }
        result.Add("sessions", o.Sessions);
        result.Add("outstanding", o.Outstanding);
        return result;
    }

    private static string[] NodePaths(string root, int count) =>
        [.. Enumerable.Range(0, count).Select(i => $"{root}/n{i:D6}")];

    private static string Pick(string[] paths) => paths[Random.Shared.Next(paths.Length)];

    /// <summary>Even requests create the worker's next node, odd ones delete it again.</summary>
    private static Operation Churn(string root, int workers, byte[] payload)
    {
        string[] prefixes = [.. Enumerable.Range(0, workers).Select(w => $"{root}/w{w}-")];
        return (c, worker, seq) =>
        {
            string path = prefixes[worker] + (seq / 2).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return seq % 2 == 0 ? c.CreateAsync(path, payload, Acls.OpenAclUnsafe) : c.DeleteAsync(path);
        };
    }

    /// <summary>Creates the nodes pipelined, a batch at a time; nodes left by an earlier run are fine.</summary>
    internal static async Task CreateNodesAsync(ZooKeeperClient client, IReadOnlyList<string> paths, byte[] payload)
    {
        for (int start = 0; start < paths.Count; start += SetupBatch)
        {
            var batch = new List<Task>(SetupBatch);
            for (int i = start; i < Math.Min(paths.Count, start + SetupBatch); i++)
                batch.Add(CreateIfMissingAsync(client, paths[i], payload));
            await Task.WhenAll(batch);
        }
    }

    private static async Task CreateIfMissingAsync(ZooKeeperClient client, string path, byte[] payload)
    {
        try
        {
            await client.CreateAsync(path, payload, Acls.OpenAclUnsafe);
        }
        catch (KeeperException e) when (e.Code == ErrorCode.NodeExists)
        {
        }
    }
}
