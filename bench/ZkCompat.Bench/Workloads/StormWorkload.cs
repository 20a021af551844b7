using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Bench.Workloads;

/// <summary>
/// Session storm: <c>rounds</c> sessions in total, <c>sessions</c> at a time, each connecting
/// (createSession) and closing (closeSession) at once. Latency is connect + close.
/// </summary>
public static class StormWorkload
{
    public static async Task<RunResult> RunAsync(BenchOptions o, TimeProvider time)
    {
        var result = new RunResult(o.Workload, o.Label);
        await using (var probe = await Sessions.ConnectWhenUpAsync(o.SetupServer, time, o.MaxWait))
        {
            await probe.ExistsAsync("/");
        }
        if (o.Warmup > TimeSpan.Zero) await StormAsync(o, Math.Max(1, o.Rounds / 10), time, null);
        await StormAsync(o, o.Rounds, time, result);
        result.Add("concurrency", o.Sessions);
        return result;
    }

    private static async Task StormAsync(BenchOptions o, int count, TimeProvider time, RunResult? result)
    {
        long next = 0;
        long completed = 0;
        long errors = 0;
        long start = time.GetTimestamp();
        var options = Sessions.ClientOptions(time, keepAlive: false, o.SessionTimeout);
        var servers = o.Servers;

        async Task Worker()
        {
            await Task.Yield();
            long index;
            while (time.GetElapsedTime(start) < o.Duration && (index = Interlocked.Increment(ref next)) <= count)
            {
                long t0 = time.GetTimestamp();
                try
                {
                    var client = await ZooKeeperClient.ConnectAsync(servers[(int)(index % servers.Count)], options);
                    await client.CloseAsync();
                    result?.Latency.Record(time.GetElapsedTime(t0).Ticks / TimeSpan.TicksPerMicrosecond);
                    Interlocked.Increment(ref completed);
                }
                catch (KeeperException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, o.Sessions).Select(_ => Worker()));
        if (result is not null)
        {
            result.Elapsed = time.GetElapsedTime(start);
            result.Ops = completed;
            result.Errors = errors;
        }
    }
}
