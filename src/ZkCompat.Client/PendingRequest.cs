using System.Buffers;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Client;

/// <summary>Decodes a successful reply body (reads stop where the record ends; extra bytes are ignored).</summary>
internal delegate T ReplyReader<T>(ref JuteReader body);

/// <summary>
/// A request on its way: what to write, and how to finish the caller's task when the reply with
/// <see cref="ReplyXid"/> arrives. Completion runs on the receive loop, so it only decodes.
/// </summary>
internal abstract class PendingRequest
{
    private CancellationTokenRegistration _cancellation;

    protected PendingRequest(OpCode op, IJuteWritable? request, string? path, int? xid)
    {
        Op = op;
        Request = request;
        Path = path;
        FixedXid = xid;
    }

    public OpCode Op { get; }
    public IJuteWritable? Request { get; }
    public string? Path { get; }

    /// <summary>A special xid (ping, auth, setWatches) or one a protocol test asked for; null takes the next.</summary>
    public int? FixedXid { get; }

    /// <summary>Bytes written as they are (already framed or deliberately malformed) instead of header + record.</summary>
    public ReadOnlyMemory<byte>? RawBytes { get; init; }

    /// <summary>False for raw bytes sent without waiting for anything.</summary>
    public bool ExpectsReply { get; init; } = true;

    /// <summary>Set by the send loop just before writing.</summary>
    public int Xid { get; set; }

    /// <summary>The xid the reply carries: the server answers every ping with -2 whatever xid it had.</summary>
    public int ReplyXid { get; set; }

    public abstract bool IsDone { get; }

    public abstract void Complete(int xid, long zxid, int err, ref JuteReader body);

    public abstract void Fail(Exception error);

    /// <summary>Marks a request that was only written, not answered.</summary>
    public abstract void CompleteSent();

    protected abstract void Cancel(CancellationToken token);

    /// <summary>Call before the request is queued, so the registration is visible to whoever completes it.</summary>
    public void Register(CancellationToken token)
    {
        if (token.CanBeCanceled)
            _cancellation = token.UnsafeRegister(static (state, t) => ((PendingRequest)state!).Cancel(t), this);
    }

    protected void ReleaseCancellation() => _cancellation.Dispose();
}

/// <summary>A request whose reply body decodes to <typeparamref name="T"/>; a non-zero err throws KeeperException.</summary>
internal sealed class PendingRequest<T> : PendingRequest
{
    private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ReplyReader<T> _read;
    private readonly ErrorCode _defaultOn;

    /// <param name="defaultOn">An error code that means "no result" rather than failure (exists ⇒ NONODE).</param>
    public PendingRequest(OpCode op, IJuteWritable? request, string? path, ReplyReader<T> read, int? xid = null, ErrorCode defaultOn = ErrorCode.Ok)
        : base(op, request, path, xid)
    {
        _read = read;
        _defaultOn = defaultOn;
    }

    public Task<T> Task => _result.Task;

    public override bool IsDone => _result.Task.IsCompleted;

    public override void Complete(int xid, long zxid, int err, ref JuteReader body)
    {
        if (err == 0)
        {
            T value;
            try
            {
                value = _read(ref body);
            }
            catch (Exception e)
            {
                _result.TrySetException(e);
                ReleaseCancellation();
                return;
            }
            _result.TrySetResult(value);
        }
        else if (_defaultOn != ErrorCode.Ok && err == (int)_defaultOn)
        {
            _result.TrySetResult(default!);
        }
        else
        {
            _result.TrySetException(new KeeperException((ErrorCode)err, Path));
        }
        ReleaseCancellation();
    }

    public override void CompleteSent()
    {
        _result.TrySetResult(default!);
        ReleaseCancellation();
    }

    public override void Fail(Exception error)
    {
        _result.TrySetException(error);
        ReleaseCancellation();
    }

    protected override void Cancel(CancellationToken token) => _result.TrySetCanceled(token);
}

/// <summary>A protocol-test request: the reply header and body bytes come back whatever the err.</summary>
internal sealed class RawPendingRequest : PendingRequest
{
    private readonly TaskCompletionSource<RawReply> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RawPendingRequest(OpCode op, IJuteRecord? request, int? xid) : base(op, request, null, xid) { }

    public Task<RawReply> Task => _result.Task;

    public override bool IsDone => _result.Task.IsCompleted;

    public override void Complete(int xid, long zxid, int err, ref JuteReader body)
    {
        byte[] bytes = body.Remaining == 0 ? [] : body.ReadRaw(body.Remaining).ToArray();
        _result.TrySetResult(new RawReply(new ReplyHeader(xid, zxid, err), bytes));
        ReleaseCancellation();
    }

    public override void CompleteSent()
    {
        _result.TrySetResult(default);
        ReleaseCancellation();
    }

    public override void Fail(Exception error)
    {
        _result.TrySetException(error);
        ReleaseCancellation();
    }

    protected override void Cancel(CancellationToken token) => _result.TrySetCanceled(token);
}

/// <summary>A background ping: nobody waits for it, and losing it on close is not an error.</summary>
internal sealed class PingRequest() : PendingRequest(OpCode.Ping, null, null, Xids.Ping)
{
    private int _done;

    public override bool IsDone => Volatile.Read(ref _done) != 0;

    public override void Complete(int xid, long zxid, int err, ref JuteReader body) => Volatile.Write(ref _done, 1);

    public override void CompleteSent() => Volatile.Write(ref _done, 1);

    public override void Fail(Exception error) => Volatile.Write(ref _done, 1);

    protected override void Cancel(CancellationToken token) => Volatile.Write(ref _done, 1);
}

/// <summary>
/// Requests written and not yet answered, in write order. Replies normally come back in that order,
/// so the head matches; auth replies may overtake (the server answers them outside its pipeline),
/// which the rare out-of-order path handles.
/// </summary>
internal sealed class PendingQueue
{
    private readonly Queue<PendingRequest> _queue = new();
    private bool _closed;

    /// <summary>False once the connection is gone: the caller fails the request instead.</summary>
    public bool TryAdd(PendingRequest request)
    {
        lock (_queue)
        {
            if (_closed) return false;
            _queue.Enqueue(request);
            return true;
        }
    }

    /// <summary>The oldest request expecting a reply with this xid, or null if none does.</summary>
    public PendingRequest? Take(int replyXid)
    {
        lock (_queue)
        {
            if (_queue.TryPeek(out var head) && head.ReplyXid == replyXid) return _queue.Dequeue();
            PendingRequest? found = null;
            // Rotate once through the queue, pulling out the first match and keeping the order of the rest.
            for (int n = _queue.Count; n > 0; n--)
            {
                var item = _queue.Dequeue();
                if (found is null && item.ReplyXid == replyXid) found = item;
                else _queue.Enqueue(item);
            }
            return found;
        }
    }

    /// <summary>Refuses further requests and hands back the unanswered ones.</summary>
    public PendingRequest[] Close()
    {
        lock (_queue)
        {
            _closed = true;
            var all = _queue.ToArray();
            _queue.Clear();
            return all;
        }
    }

    public int Count
    {
        get
        {
            lock (_queue) return _queue.Count;
        }
    }
}
