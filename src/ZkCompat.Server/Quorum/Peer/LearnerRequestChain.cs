using System.Threading.Channels;
using ZkCompat.Protocol;
using ZkCompat.Server.Processors;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>
/// A follower's or observer's chain (Java's FollowerRequestProcessor → CommitProcessor → Final, with
/// Sync → SendAck on the proposal path). Client writes go to the leader as REQUESTs and wait in one
/// FIFO with the reads behind them, so each client sees its own operations in order; the leader's
/// COMMITs release the matching write (with the client's connection) or apply another server's txn.
/// </summary>
internal sealed class LearnerRequestChain : IRequestChain
{
    private sealed class Entry(Request request, bool ready)
    {
        public Request Request { get; } = request;
        public bool Ready { get; set; } = ready;
    }

    private readonly Learner _learner;
    private readonly ZooKeeperServer _zks;
    private readonly SyncRequestProcessor _sync;
    private readonly object _gate = new();
    private readonly LinkedList<Entry> _fifo = new();
    // Bounded upstream: the connections' outstanding limit and the leader's proposals in flight.
    private readonly Channel<Request> _toFinal = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });

    public LearnerRequestChain(Learner learner, ZooKeeperServer zks, bool observer, CancellationToken stopping)
    {
        _ = observer;
        _ = stopping;
        _learner = learner;
        _zks = zks;
        int capacity = Math.Max(1, zks.Options.GlobalOutstandingLimit);
        _sync = new SyncRequestProcessor(zks.TxnLog, capacity, learner.Logged, zks.MaybeSnapshot);
    }

    /// <summary>Java's FollowerRequestProcessor: which client requests only the leader can do.</summary>
    public static bool IsForwarded(OpCode type) => type is OpCode.Create or OpCode.Create2 or OpCode.CreateTtl
        or OpCode.CreateContainer or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.Reconfig
        or OpCode.SetAcl or OpCode.Multi or OpCode.Check or OpCode.CreateSession or OpCode.CloseSession or OpCode.Sync;

    public ValueTask EnqueueAsync(Request request, CancellationToken ct)
    {
        lock (_gate)
        {
            if (IsForwarded(request.Type))
            {
                _fifo.AddLast(new Entry(request, ready: false));
                _learner.Forward(request);
            }
            else if (_fifo.Count == 0)
            {
                _toFinal.Writer.TryWrite(request);
            }
            else
            {
                _fifo.AddLast(new Entry(request, ready: true));
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>A PROPOSAL (or INFORM) to log; <see cref="Learner.Logged"/> follows once it is durable.</summary>
    public ValueTask LogAsync(Request request, CancellationToken ct) => _sync.EnqueueAsync(request, ct);

    /// <summary>The leader committed this txn: apply it, answering the local client that asked for it.</summary>
    public void Commit(Request committed)
    {
        lock (_gate)
        {
            var head = _fifo.First;
            if (head is not null && !head.Value.Ready && head.Value.Request.Type != OpCode.Sync
                && head.Value.Request.SessionId == committed.Header!.ClientId && head.Value.Request.Cxid == committed.Header.Cxid)
            {
                var local = head.Value.Request;
                _fifo.RemoveFirst();
                _toFinal.Writer.TryWrite(new Request(local.Connection, local.SessionId, local.Cxid, local.Type, local.Body, local.AuthInfo)
                {
                    Owner = local.Owner,
                    CreateTimestamp = local.CreateTimestamp,
                    Header = committed.Header,
                    Txn = committed.Txn,
                    Digest = committed.Digest,
                    SerializedTxn = committed.SerializedTxn,
                });
            }
            else
            {
                _toFinal.Writer.TryWrite(committed);
            }
            Drain();
        }
    }

    /// <summary>The leader's SYNC: every write before our sync is applied, so the sync can answer.</summary>
    public void SyncDone()
    {
        lock (_gate)
        {
            for (var node = _fifo.First; node is not null; node = node.Next)
            {
                if (node.Value.Ready || node.Value.Request.Type != OpCode.Sync) continue;
                node.Value.Ready = true;
                break;
            }
            Drain();
        }
    }

    private void Drain()
    {
        while (_fifo.First is { Value.Ready: true } first)
        {
            _fifo.RemoveFirst();
            _toFinal.Writer.TryWrite(first.Value.Request);
        }
    }

    public void Start(Func<string, Func<Task>, Task> watch, CancellationToken ct)
    {
        watch("SyncRequestProcessor", () => _sync.RunAsync(ct));
        watch("CommitProcessor", () => RunFinalAsync(ct));
    }

    private async Task RunFinalAsync(CancellationToken ct)
    {
        await foreach (var request in _toFinal.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            _zks.Final.ProcessRequest(request);
    }

    public void Complete()
    {
        _sync.Complete();
        _toFinal.Writer.TryComplete();
    }
}
