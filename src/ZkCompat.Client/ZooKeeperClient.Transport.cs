using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Client;

/// <summary>
/// The connection: one send loop (assigns xids, records the request as pending, writes, flushes
/// once per batch), one receive loop (frames, matches replies to pending requests in order, passes
/// notifications on) and a keep-alive loop. Shutdown is idempotent; the receive loop's exit fails
/// whatever is still pending and writes the final state event.
/// </summary>
public sealed partial class ZooKeeperClient
{
    private const int FlushThreshold = 64 * 1024;
    private static readonly TimeSpan MaxPingInterval = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly TimeProvider _time;
    private readonly JuteLimits _limits;
    private readonly int _maxBuffer;
    private readonly PendingQueue _pending = new();
    private readonly Channel<PendingRequest> _sendQueue =
        Channel.CreateUnbounded<PendingRequest>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly Channel<WatcherEvent> _events =
        Channel.CreateUnbounded<WatcherEvent>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _sendLoop;
    private readonly Task _receiveLoop;
    private readonly Task _keepAliveLoop;

    private int _nextXid = 1;
    private long _lastZxid;
    private long _lastSendTimestamp;
    private long _lastReceiveTimestamp;
    private long _pingReplies;
    private int _shutdown;
    private int _closeRequested;
    private string? _closeReason;

    private void StartLoops(out Task send, out Task receive, out Task keepAlive, bool keepAliveEnabled)
    {
        long now = _time.GetTimestamp();
        _lastSendTimestamp = now;
        _lastReceiveTimestamp = now;
        send = Task.Run(SendLoopAsync);
        receive = Task.Run(ReceiveLoopAsync);
        keepAlive = keepAliveEnabled ? Task.Run(KeepAliveLoopAsync) : Task.CompletedTask;
    }

    /// <summary>Queues a request for the send loop; once the connection is gone it fails at once.</summary>
    private void Enqueue(PendingRequest request, CancellationToken ct)
    {
        request.Register(ct);
        if (!_sendQueue.Writer.TryWrite(request))
            request.Fail(new KeeperException(ErrorCode.ConnectionLoss, request.Path));
    }

    private async Task SendLoopAsync()
    {
        var reader = _sendQueue.Reader;
        var token = _stop.Token;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var request))
                {
                    if (request.IsDone) continue; // cancelled before it left
                    AssignXid(request);
                    if (request.ExpectsReply && !_pending.TryAdd(request))
                    {
                        request.Fail(new KeeperException(ErrorCode.ConnectionLoss, request.Path));
                        continue;
                    }
                    WriteRequest(request);
                    if (!request.ExpectsReply) request.CompleteSent();
                    if (_output.CanGetUnflushedBytes && _output.UnflushedBytes >= FlushThreshold)
                        await FlushAsync(token).ConfigureAwait(false);
                }
                await FlushAsync(token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            Shutdown("send failed: " + e.Message);
        }
        finally
        {
            Shutdown("send loop ended");
            // The queue is completed now, so nothing can slip in after this drain.
            while (reader.TryRead(out var left))
                left.Fail(new KeeperException(ErrorCode.ConnectionLoss, left.Path));
            await CompleteQuietlyAsync(_output.CompleteAsync).ConfigureAwait(false);
        }
    }

    private async ValueTask FlushAsync(CancellationToken token)
    {
        // Stamped before the bytes leave, so no reply can be seen ahead of the send it answers.
        Volatile.Write(ref _lastSendTimestamp, _time.GetTimestamp());
        FlushResult flushed = await _output.FlushAsync(token).ConfigureAwait(false);
        if (flushed.IsCompleted || flushed.IsCanceled) throw new IOException("connection closed while sending");
    }

    private void AssignXid(PendingRequest request)
    {
        if (request.FixedXid is { } fixedXid)
        {
            request.Xid = fixedXid;
        }
        else
        {
            request.Xid = _nextXid;
            // Java's ClientCnxn wraps from Integer.MAX_VALUE back to 1 (0 and negatives are special).
            _nextXid = _nextXid == int.MaxValue ? 1 : _nextXid + 1;
        }
        request.ReplyXid = request.Op == OpCode.Ping ? Xids.Ping : request.Xid;
    }

    private void WriteRequest(PendingRequest request)
    {
        var writer = new JuteWriter(_output);
        if (request.RawBytes is { } raw)
        {
            writer.WriteRaw(raw.Span);
        }
        else
        {
            int bodySize = request.Request?.GetSerializedSize() ?? 0;
            writer.WriteInt(8 + bodySize);
            writer.WriteInt(request.Xid);
            writer.WriteInt((int)request.Op);
            request.Request?.Serialize(ref writer);
        }
        writer.Flush();
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
                Volatile.Write(ref _lastReceiveTimestamp, _time.GetTimestamp());
                var buffer = result.Buffer;
                bool badFrame = false;
                while (true)
                {
                    var status = Framing.TryReadFrame(ref buffer, _maxBuffer, out var payload, out int length);
                    if (status == Framing.FrameStatus.Incomplete) break;
                    if (status == Framing.FrameStatus.BadLength)
                    {
                        // Java's ClientCnxnSocket.readLength: "Packet len N is out of range!" ⇒ disconnect.
                        Shutdown($"reply length {length} is out of range (max {_maxBuffer})");
                        badFrame = true;
                        break;
                    }
                    ProcessReply(payload);
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (badFrame || result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException or OperationCanceledException)
        {
            Shutdown("receive failed: " + e.Message);
        }
        finally
        {
            Shutdown("server closed the connection");
            foreach (var request in _pending.Close())
                request.Fail(new KeeperException(ErrorCode.ConnectionLoss, request.Path));
            var state = Volatile.Read(ref _closeRequested) != 0 ? KeeperState.Closed : KeeperState.Disconnected;
            _events.Writer.TryWrite(new WatcherEvent { Type = (int)EventType.None, State = (int)state, Path = null });
            _events.Writer.TryComplete();
            await CompleteQuietlyAsync(_input.CompleteAsync).ConfigureAwait(false);
            _closed.TrySetResult();
        }
    }

    /// <summary>Completing a pipe over a dead socket may throw; the connection is gone either way.</summary>
    private static async ValueTask CompleteQuietlyAsync(Func<Exception?, ValueTask> complete)
    {
        try
        {
            await complete(null).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
            // nothing left to release
        }
    }

    private void ProcessReply(ReadOnlySequence<byte> payload)
    {
        var reader = new JuteReader(payload, _limits);
        int xid = reader.ReadInt();
        long zxid = reader.ReadLong();
        int err = reader.ReadInt();
        if (xid == Xids.Notification)
        {
            _events.Writer.TryWrite(WatcherEvent.Deserialize(ref reader));
            return;
        }
        if (xid == Xids.Ping) Interlocked.Increment(ref _pingReplies);
        // Java's ClientCnxn only moves lastZxid forward on positive zxids (auth replies carry 0).
        if (zxid > 0) Volatile.Write(ref _lastZxid, zxid);
        // A reply nobody waits for (e.g. to a request already failed) is dropped.
        _pending.Take(xid)?.Complete(xid, zxid, err, ref reader);
    }

    /// <summary>
    /// Java's SendThread: ping when nothing was sent for a third of the negotiated timeout (at most
    /// every 10 s), and give up on the server after two thirds of it without hearing anything.
    /// </summary>
    private async Task KeepAliveLoopAsync()
    {
        var token = _stop.Token;
        var readTimeout = TimeSpan.FromMilliseconds(NegotiatedTimeout * 2.0 / 3.0);
        var pingInterval = TimeSpan.FromMilliseconds(NegotiatedTimeout / 3.0);
        if (pingInterval > MaxPingInterval) pingInterval = MaxPingInterval;
        try
        {
            while (!token.IsCancellationRequested)
            {
                long now = _time.GetTimestamp();
                var sinceReceive = _time.GetElapsedTime(Volatile.Read(ref _lastReceiveTimestamp), now);
                if (sinceReceive >= readTimeout)
                {
                    Shutdown($"no reply from the server for {sinceReceive.TotalMilliseconds:F0} ms");
                    return;
                }
                var sinceSend = _time.GetElapsedTime(Volatile.Read(ref _lastSendTimestamp), now);
                TimeSpan wait;
                if (sinceSend >= pingInterval)
                {
                    Enqueue(new PingRequest(), CancellationToken.None);
                    wait = pingInterval;
                }
                else
                {
                    wait = pingInterval - sinceSend;
                }
                var untilReadTimeout = readTimeout - sinceReceive;
                if (untilReadTimeout < wait) wait = untilReadTimeout;
                await Task.Delay(wait, _time, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }

    /// <summary>Stops everything once; the receive loop then fails pending requests and ends the events.</summary>
    private void Shutdown(string reason)
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0) return;
        Volatile.Write(ref _closeReason, reason);
        _sendQueue.Writer.TryComplete();
        try
        {
            _stop.Cancel();
        }
        catch (AggregateException)
        {
            // a callback threw; we are closing regardless
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already closed by the peer
        }
        _socket.Dispose();
        try
        {
            _input.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // the receive loop already completed the reader
        }
    }
}
