using Microsoft.Extensions.Logging;
namespace ZkCompat.Server.Processors;

/// <summary>
/// The processors a request goes through after <see cref="ZooKeeperServer.SubmitAsync"/>, wired per role:
/// standalone Prep → Sync → Final; a leader adds proposal and commit stages; a learner forwards writes.
/// </summary>
public interface IRequestChain
{
    /// <summary>The first stage; waits when it is full (back-pressure on the connection).</summary>
    ValueTask EnqueueAsync(Request request, CancellationToken ct);

    /// <summary>Starts the chain's loops; <paramref name="watch"/> turns a dead loop into a server failure.</summary>
    void Start(Func<string, Func<Task>, Task> watch, CancellationToken ct);

    /// <summary>No more requests: stages drain and their loops end.</summary>
    void Complete();
}

/// <summary>Standalone wiring: Prep → Sync (group commit) → Final, as Java's ZooKeeperServer.</summary>
public sealed class StandaloneRequestChain : IRequestChain
{
    private readonly PrepRequestProcessor _prep;
    private readonly SyncRequestProcessor _sync;

    public StandaloneRequestChain(ZooKeeperServer zks, Microsoft.Extensions.Logging.ILoggerFactory loggers, CancellationToken stopping)
    {
        int capacity = Math.Max(1, zks.Options.GlobalOutstandingLimit);
        _sync = new SyncRequestProcessor(zks.TxnLog, capacity, zks.Final.ProcessRequest, zks.Database is null ? null : zks.MaybeSnapshot);
        _prep = new PrepRequestProcessor(zks, capacity, r => _sync.EnqueueAsync(r, stopping),
            loggers.CreateLogger("ZkCompat.Server.PrepRequestProcessor"));
    }

    public ValueTask EnqueueAsync(Request request, CancellationToken ct) => _prep.EnqueueAsync(request, ct);

    public void Start(Func<string, Func<Task>, Task> watch, CancellationToken ct)
    {
        watch("PrepRequestProcessor", () => _prep.RunAsync(ct));
        watch("SyncRequestProcessor", () => _sync.RunAsync(ct));
    }

    public void Complete() => _prep.Complete();
}
