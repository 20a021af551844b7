using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Tests.Quorum.Chaos;

/// <summary>
/// Latency on top of any <see cref="IPeerNetwork"/>: while a node is "slow", every write it makes on a
/// peer connection (election or quorum port) waits a random while first. Order within a connection is
/// kept, as TCP keeps it; only timing changes, which is what opens the races a chaos run looks for.
/// </summary>
internal sealed class SlowLinks(int seed)
{
    private readonly Lock _gate = new();
    private readonly Random _random = new(seed);
    private readonly Dictionary<string, int> _maxDelayMs = new(StringComparer.Ordinal);

    public void Slow(string node, int maxDelayMs)
    {
        lock (_gate) _maxDelayMs[node] = maxDelayMs;
    }

    public void Clear()
    {
        lock (_gate) _maxDelayMs.Clear();
    }

    /// <summary>The view of <paramref name="node"/>, its connections' writes subject to its delay.</summary>
    public IPeerNetwork Wrap(string node, IPeerNetwork inner) => new View(this, node, inner);

    private TimeSpan NextDelay(string node)
    {
        lock (_gate)
        {
            if (!_maxDelayMs.TryGetValue(node, out int max) || max <= 0) return TimeSpan.Zero;
            return TimeSpan.FromMilliseconds(_random.Next(max + 1));
        }
    }

    private sealed class View(SlowLinks links, string node, IPeerNetwork inner) : IPeerNetwork
    {
        public async ValueTask<Stream> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken ct) =>
            new SlowStream(links, node, await inner.ConnectAsync(host, port, timeout, ct).ConfigureAwait(false));

        public IPeerListener Listen(string? host, int port) => new Listener(links, node, inner.Listen(host, port));
    }

    private sealed class Listener(SlowLinks links, string node, IPeerListener inner) : IPeerListener
    {
        public async ValueTask<Stream> AcceptAsync(CancellationToken ct) =>
            new SlowStream(links, node, await inner.AcceptAsync(ct).ConfigureAwait(false));

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class SlowStream(SlowLinks links, string node, Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => inner.ReadAsync(buffer, ct);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => inner.ReadAsync(buffer, offset, count, ct);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            var delay = links.NextDelay(node);
            // Simulated latency of a slow link, not synchronisation.
            if (delay > TimeSpan.Zero) await Task.Delay(delay, ct).ConfigureAwait(false);
            await inner.WriteAsync(buffer, ct).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken ct) => inner.FlushAsync(ct);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
