using System.Threading.Channels;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Processors;

/// <summary>
/// Second stage (Java's <c>SyncRequestProcessor</c>): appends every txn of a batch to the log,
/// makes the batch durable with one commit (group commit), and only then hands the batch, in
/// order, to the next stage. Reads queued between writes wait for the writes before them, so a
/// session's replies leave in request order.
/// </summary>
public sealed class SyncRequestProcessor
{
    private const int MaxBatch = 1000;
    private readonly Channel<Request> _queue;
    private readonly ITxnLog _log;
    private readonly Action<Request> _next;
    private readonly Action? _afterAppend;
    private readonly List<Request> _batch = new(MaxBatch);

    /// <param name="afterAppend">Asked after every append whether to roll the log and snapshot.</param>
    public SyncRequestProcessor(ITxnLog log, int capacity, Action<Request> next, Action? afterAppend = null)
    {
        _log = log;
        _next = next;
        _afterAppend = afterAppend;
        _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
    }

    public ValueTask EnqueueAsync(Request request, CancellationToken ct) => _queue.Writer.WriteAsync(request, ct);

    public void Complete() => _queue.Writer.TryComplete();

    public async Task RunAsync(CancellationToken ct)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (_batch.Count < MaxBatch && reader.TryRead(out var request)) _batch.Add(request);
            Flush();
        }
    }

    /// <summary>Append, then commit, then pass on: durability before any reply.</summary>
    private void Flush()
    {
        bool wrote = false;
        foreach (var request in _batch)
        {
            if (request.Header is null) continue;
            _log.Append(request.Header, request.Txn, request.Digest);
            _afterAppend?.Invoke();
            wrote = true;
        }
        if (wrote) _log.Commit();
        foreach (var request in _batch) _next(request);
        _batch.Clear();
    }
}
