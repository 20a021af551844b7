using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using ZkCompat.Jute;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>
/// One connection on the quorum port (leader ↔ learner): QuorumPackets read off a pipe, and an ordered,
/// bounded send queue drained by one writer loop that flushes when the queue runs dry (so a burst of
/// PROPOSALs leaves in few socket writes). Raw writes (the SNAP stream) take their turn in the queue.
/// </summary>
public sealed class QuorumConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly JuteLimits _limits;
    private readonly Channel<object> _outgoing;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _writer;
    private long _lastReceived;
    private int _closed;
    private long _queued;

    /// <summary>Java's markerPacketInterval: every so many packets, one marker measures the time spent queued.</summary>
    private const int MarkerInterval = 1000;

    private sealed record Marker(long Timestamp);

    /// <summary>Sampled per packet written: how many wait behind it (learner_handler_qp_size).</summary>
    public Action<long>? QueueSizeSampled { get; set; }

    /// <summary>Sampled per marker: milliseconds a packet waited in the queue (learner_handler_qp_time_ms).</summary>
    public Action<long>? QueueTimeSampled { get; set; }

    /// <param name="queueCapacity">Packets that may wait to be written; a learner that falls this far behind is dropped.</param>
    public QuorumConnection(Stream stream, JuteLimits limits, TimeProvider time, int queueCapacity = 100_000)
    {
        _stream = stream;
        _limits = limits;
        Time = time;
        Reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        _outgoing = Channel.CreateBounded<object>(new BoundedChannelOptions(queueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _lastReceived = time.GetTimestamp();
        _writer = Task.Run(WriteLoopAsync);
    }

    public TimeProvider Time { get; }

    /// <summary>The incoming side; the SNAP stream is read straight off it, between two packets.</summary>
    public PipeReader Reader { get; }

    /// <summary>Completes when the writer stops (connection closed or failed).</summary>
    public Task Completion => _writer;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>How long since the last packet arrived (the syncLimit / initLimit watchdogs read it).</summary>
    public TimeSpan SinceLastReceived => Time.GetElapsedTime(Interlocked.Read(ref _lastReceived));

    /// <summary>The next packet; throws <see cref="EndOfStreamException"/> when the peer closed.</summary>
    public async ValueTask<QuorumPacket> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = await Reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            QuorumPacket? packet;
            try
            {
                if (QuorumPackets.TryRead(ref buffer, out packet, _limits))
                {
                    Reader.AdvanceTo(buffer.Start);
                    Interlocked.Exchange(ref _lastReceived, Time.GetTimestamp());
                    return packet!;
                }
            }
            catch
            {
                Reader.AdvanceTo(result.Buffer.Start);
                throw;
            }
            Reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
                throw new EndOfStreamException("the quorum peer closed the connection");
        }
    }

    /// <summary>Queues a packet; false when the queue is full or the connection closed (the caller drops the peer).</summary>
    public bool TrySend(QuorumPacket packet)
    {
        if (IsClosed) return false;
        if (QueueTimeSampled is not null && Interlocked.Increment(ref _queued) % MarkerInterval == 1)
            _outgoing.Writer.TryWrite(new Marker(Time.GetTimestamp()));
        return _outgoing.Writer.TryWrite(packet);
    }

    /// <summary>Queues a packet, waiting for room.</summary>
    public ValueTask SendAsync(QuorumPacket packet, CancellationToken ct) => _outgoing.Writer.WriteAsync(packet, ct);

    /// <summary>Queues a raw write on the stream (after the packets queued before it are flushed).</summary>
    public bool TrySendRaw(Func<Stream, CancellationToken, Task> write) => !IsClosed && _outgoing.Writer.TryWrite(write);

    private async Task WriteLoopAsync()
    {
        var ct = _closing.Token;
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            var reader = _outgoing.Reader;
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (item is Marker marker)
                    {
                        QueueTimeSampled?.Invoke((long)Time.GetElapsedTime(marker.Timestamp).TotalMilliseconds);
                        continue;
                    }
                    QueueSizeSampled?.Invoke(reader.Count);
                    if (item is QuorumPacket packet)
                    {
                        JuteSerializer.Write(packet, buffer);
                        if (buffer.WrittenCount >= 60 * 1024) await FlushAsync(buffer, ct).ConfigureAwait(false);
                    }
                    else if (item is Func<Stream, CancellationToken, Task> raw)
                    {
                        await FlushAsync(buffer, ct).ConfigureAwait(false);
                        await raw(_stream, ct).ConfigureAwait(false);
                    }
                }
                await FlushAsync(buffer, ct).ConfigureAwait(false);
                await _stream.FlushAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
        finally
        {
            Close();
        }
    }

    private async ValueTask FlushAsync(ArrayBufferWriter<byte> buffer, CancellationToken ct)
    {
        if (buffer.WrittenCount == 0) return;
        await _stream.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
        buffer.ResetWrittenCount();
    }

    /// <summary>Closes both directions; pending reads end with an exception, queued packets are dropped.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _outgoing.Writer.TryComplete();
        _closing.Cancel();
        Reader.CancelPendingRead();
        _stream.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        Close();
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await Reader.CompleteAsync().ConfigureAwait(false);
        _closing.Dispose();
    }
}
