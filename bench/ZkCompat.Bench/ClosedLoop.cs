using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Bench;

/// <summary>One request of a workload; <paramref name="seq"/> counts this worker's requests across runs.</summary>
public delegate Task Operation(ZooKeeperClient client, int worker, long seq);

/// <summary>
/// Closed-loop load: every session runs <c>outstanding</c> workers, each sending its next request
/// when the previous reply arrives, so a session never has more than that many in flight. A run
/// ends at its duration or op budget, whichever comes first. With several servers, client i is on
/// server <see cref="Sessions.ServerOf"/>(i), and latency is also kept per server.
/// </summary>
public sealed class ClosedLoop
{
    private readonly IReadOnlyList<ZooKeeperClient> _clients;
    private readonly int _outstanding;
    private readonly TimeProvider _time;
    private readonly int _servers;
    // Per worker, kept across the warm-up and the measured run so names built from it stay unique.
    private readonly long[] _sequences;

    public ClosedLoop(IReadOnlyList<ZooKeeperClient> clients, int outstanding, TimeProvider time, int servers = 1)
    {
        _clients = clients;
        _outstanding = outstanding;
        _time = time;
        _servers = servers;
        _sequences = new long[clients.Count * outstanding];
    }

    public int Workers => _sequences.Length;

    /// <summary>Runs <paramref name="op"/> until time or budget is spent; records into <paramref name="result"/> when given.</summary>
    public async Task RunAsync(Operation op, TimeSpan duration, long maxOps, RunResult? result)
    {
        long issued = 0;
        long completed = 0;
        long errors = 0;
        long start = _time.GetTimestamp();
        var byServer = result?.SplitByServer(_servers);

        async Task Worker(ZooKeeperClient client, int worker, LatencyHistogram? serverLatency)
        {
            // Leave the receive loop's thread at once: the first request should not run inline.
            await Task.Yield();
            while (client.IsConnected && _time.GetElapsedTime(start) < duration && Interlocked.Increment(ref issued) <= maxOps)
            {
                long t0 = _time.GetTimestamp();
                try
                {
                    await op(client, worker, _sequences[worker]++).ConfigureAwait(false);
                    long micros = _time.GetElapsedTime(t0).Ticks / TimeSpan.TicksPerMicrosecond;
                    result?.Latency.Record(micros);
                    serverLatency?.Record(micros);
                    Interlocked.Increment(ref completed);
                }
                catch (KeeperException e)
                {
                    Interlocked.Increment(ref errors);
                    if (e.Code is ErrorCode.ConnectionLoss or ErrorCode.SessionExpired) return;
                }
            }
        }

        var workers = new List<Task>(_sequences.Length);
        for (int c = 0; c < _clients.Count; c++)
            for (int k = 0; k < _outstanding; k++)
                workers.Add(Worker(_clients[c], c * _outstanding + k, byServer?[Sessions.ServerOf(c, _servers)]));
        await Task.WhenAll(workers).ConfigureAwait(false);

        if (result is not null)
        {
            result.Elapsed = _time.GetElapsedTime(start);
            result.Ops = completed;
            result.Errors = errors;
        }
    }
}
