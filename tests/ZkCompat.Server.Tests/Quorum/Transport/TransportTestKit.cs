using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Tests.Quorum.Transport;

/// <summary>Helpers shared by the election-port tests.</summary>
internal static class TransportTestKit
{
    /// <summary>Generous: these waits end on events, the timeout only catches a hang.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public const int ElectionPort = 3888;
    public const int QuorumPort = 2888;

    public static string HostOf(long sid) => "server" + sid;

    /// <summary>server.N=serverN:2888:3888, the way a real ensemble names its hosts.</summary>
    public static QuorumServerSpec Member(long sid, string? host = null, int electionPort = ElectionPort, int quorumPort = QuorumPort, bool observer = false) => new()
    {
        Id = sid,
        Addresses = [new QuorumAddress(host ?? HostOf(sid), quorumPort, electionPort)],
        Type = observer ? LearnerType.Observer : LearnerType.Participant,
    };

    public static IReadOnlyList<QuorumServerSpec> Members(int count) =>
        Enumerable.Range(1, count).Select(i => Member(i)).ToArray();

    public static byte[] Frame(byte[] payload) => ElectionMessages.EncodeFrame(payload);

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] Int64(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>The next received message, or a failure after <see cref="Patience"/>.</summary>
    public static async Task<(long Sid, byte[] Payload)> NextAsync(this QuorumCnxManager manager, string what)
    {
        using var cts = new CancellationTokenSource(Patience);
        try
        {
            return await manager.Received.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"nothing received within {Patience}: {what}");
            throw;
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; fewer means the other end closed.</summary>
    public static async Task<byte[]> ReadExactlyAsync(Stream stream, int count)
    {
        var buffer = new byte[count];
        using var cts = new CancellationTokenSource(Patience);
        await stream.ReadExactlyAsync(buffer, cts.Token);
        return buffer;
    }

    /// <summary>One frame written by a QuorumCnxManager's sender.</summary>
    public static async Task<byte[]> ReadFrameAsync(Stream stream)
    {
        int length = BinaryPrimitives.ReadInt32BigEndian(await ReadExactlyAsync(stream, 4));
        Assert.That(length, Is.InRange(1, ElectionMessages.MaxFrameLength));
        return await ReadExactlyAsync(stream, length);
    }

    /// <summary>Completes when the other end closes (a read returns 0 or fails); fails the test after <see cref="Patience"/>.</summary>
    public static async Task ExpectClosedAsync(Stream stream, string what)
    {
        using var cts = new CancellationTokenSource(Patience);
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
        }
        catch (IOException)
        {
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"connection still open after {Patience}: {what}");
        }
    }

    /// <summary>The initial message a QuorumCnxManager sends when it dials.</summary>
    public static async Task<InitialMessage> ReadInitialMessageAsync(Stream stream)
    {
        var head = await ReadExactlyAsync(stream, 20);
        int length = BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(16));
        var all = Concat(head, await ReadExactlyAsync(stream, length));
        Assert.That(ElectionMessages.TryDecodeInitialMessage(all, out var message, out int consumed), Is.True);
        Assert.That(consumed, Is.EqualTo(all.Length));
        return message!;
    }

    public static async Task<T> Within<T>(this Task<T> task, string what)
    {
        try
        {
            return await task.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"not done within {Patience}: {what}");
            throw;
        }
    }

    public static async Task Within(this Task task, string what)
    {
        try
        {
            await task.WaitAsync(Patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"not done within {Patience}: {what}");
            throw;
        }
    }

    /// <summary>Free TCP ports on loopback (bound to port 0, then released).</summary>
    public static int[] FreeLoopbackPorts(int count)
    {
        var sockets = Enumerable.Range(0, count).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return s;
        }).ToList();
        var ports = sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        sockets.ForEach(s => s.Dispose());
        return ports;
    }

    public static Notification Looking(long leader, long zxid, long round, long peerEpoch) =>
        new(ServerState.Looking, leader, zxid, round, peerEpoch, Notification.CurrentVersion, "");
}

/// <summary>
/// "Something changed" from any number of sources; <see cref="WaitUntilAsync"/> re-checks its condition
/// after each change, so a test waits on events rather than on the clock.
/// </summary>
internal sealed class ChangeSignal
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TransportTestKit.Patience;
        while (true)
        {
            var next = Volatile.Read(ref _next).Task;
            if (condition()) return;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) Assert.Fail($"not true within {TransportTestKit.Patience}: {what}");
            try
            {
                await next.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // A condition that only turned true without a change event would hide a missing signal.
                Assert.Fail($"no change event made this true within {TransportTestKit.Patience}: {what} (now {condition()})");
            }
        }
    }
}

/// <summary>Keeps every log line so tests can look for the one a fault should produce.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Lines => _lines.ToArray();

    public bool Has(LogLevel atLeast, string fragment) =>
        _lines.Any(l => l.Level >= atLeast && l.Message.Contains(fragment, StringComparison.Ordinal));

    public string Dump() => string.Join('\n', _lines.Select(l => $"{l.Level} {l.Category}: {l.Message}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            owner._lines.Enqueue((logLevel, category, message));
            // Kept bounded: a runaway loop must not eat the test host's memory.
            while (owner._lines.Count > 10_000) owner._lines.TryDequeue(out _);
        }
    }
}
