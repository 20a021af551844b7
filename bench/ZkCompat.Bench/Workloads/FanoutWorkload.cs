using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Bench.Workloads;

/// <summary>
/// One znode watched by many sessions; a writer sets it once per round. Latency is from sending
/// the setData to each watcher receiving NodeDataChanged; throughput is notifications per second.
/// Every watcher re-arms (getData with watch) before the next round starts, so none is missed.
/// </summary>
public static class FanoutWorkload
{
    private const int WarmupRounds = 3;

    public static async Task<RunResult> RunAsync(BenchOptions o, TimeProvider time)
    {
        var result = new RunResult(o.Workload, o.Label);
        const string path = "/bench-fanout/node";
        byte[] payload = new byte[o.DataSize];
        await using var writer = await Sessions.ConnectWhenUpAsync(o.SetupServer, time, o.MaxWait);
        await Sessions.EnsurePathAsync(writer, path, payload);

        var servers = o.Servers;
        var watchers = await Sessions.OpenAsync(servers, o.Watchers, time, o.SessionTimeout);
        var round = new Round(o.Watchers);
        using var stop = new CancellationTokenSource();
        try
        {
            await Sessions.SyncWithSetupAsync(watchers, servers.Count, path, path);
            await Task.WhenAll(watchers.Select(w => w.GetDataAsync(path, watch: true)));
            var listeners = watchers.Select(w => ListenAsync(w, path, round, time, stop.Token)).ToArray();

            long start = 0;
            long delivered = 0;
            int total = (o.Warmup > TimeSpan.Zero ? WarmupRounds : 0) + o.Rounds;
            for (int r = 0; r < total; r++)
            {
                bool measured = r >= total - o.Rounds;
                if (measured && start == 0) start = time.GetTimestamp();
                if (measured && time.GetElapsedTime(start) >= o.Duration) break;
                round.Begin(measured ? result.Latency : null, time.GetTimestamp());
                await writer.SetDataAsync(path, payload);
                if (!await round.WaitAsync(o.MaxWait, time))
                {
                    result.Errors += o.Watchers - round.Received;
                    break;
                }
                if (measured) delivered += o.Watchers;
            }
            result.Elapsed = start == 0 ? TimeSpan.Zero : time.GetElapsedTime(start);
            result.Ops = delivered;
            stop.Cancel();
        }
        finally
        {
            await Sessions.CloseAsync(watchers);
        }
        result.Add("watchers", o.Watchers);
        return result;
    }

    private static async Task ListenAsync(ZooKeeperClient client, string path, Round round, TimeProvider time, CancellationToken ct)
    {
        try
        {
            await foreach (var e in client.Events.ReadAllAsync(ct))
            {
                if (e.Type != (int)EventType.NodeDataChanged || e.Path != path) continue;
                round.Notified(time.GetTimestamp(), time);
                await client.GetDataAsync(path, watch: true, ct);
                round.Rearmed();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or KeeperException)
        {
            // the run is over or this session is gone; the round's timeout reports the loss
        }
    }

    /// <summary>Counts one round's notifications and re-arms; done when every watcher has both.</summary>
    private sealed class Round(int watchers)
    {
        private LatencyHistogram? _latency;
        private long _sentAt;
        private int _received;
        private int _rearmed;
        private TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Received => Volatile.Read(ref _received);

        /// <summary>Only called while every watcher is armed and idle, so nothing races the reset.</summary>
        public void Begin(LatencyHistogram? latency, long sentAt)
        {
            _latency = latency;
            _sentAt = sentAt;
            Volatile.Write(ref _received, 0);
            Volatile.Write(ref _rearmed, 0);
            Volatile.Write(ref _done, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        public void Notified(long now, TimeProvider time)
        {
            _latency?.Record(time.GetElapsedTime(_sentAt, now).Ticks / TimeSpan.TicksPerMicrosecond);
            Interlocked.Increment(ref _received);
        }

        public void Rearmed()
        {
            if (Interlocked.Increment(ref _rearmed) == watchers) Volatile.Read(ref _done).TrySetResult();
        }

        public async Task<bool> WaitAsync(TimeSpan maxWait, TimeProvider time)
        {
            try
            {
                await Volatile.Read(ref _done).Task.WaitAsync(maxWait, time);
                return true;
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
    }
}
