using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Client;

public sealed partial class ZooKeeperClient
{
    private const int PasswordLength = 16;

    /// <summary>
    /// Connects to the first server of <paramref name="connectString"/> that completes the handshake,
    /// trying them in order. A server that refuses (closes without reply, unreachable, too slow) is
    /// skipped; a ConnectResponse with timeout ≤ 0 means the session is gone and throws SessionExpired
    /// at once. If none answers: ConnectionLoss.
    /// </summary>
    public static async Task<ZooKeeperClient> ConnectAsync(string connectString, ZooKeeperClientOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ZooKeeperClientOptions();
        var hosts = ConnectString.Parse(connectString);
        Exception? lastFailure = null;
        foreach (var host in hosts)
        {
            try
            {
                return await ConnectToAsync(host, options, ct).ConfigureAwait(false);
            }
            catch (KeeperException e) when (e.Code == ErrorCode.SessionExpired)
            {
                throw;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or KeeperException)
            {
                lastFailure = e;
            }
        }
        var loss = new KeeperException(ErrorCode.ConnectionLoss);
        // KeeperException has no inner-exception constructor; keep the last cause for diagnostics.
        loss.Data["LastFailure"] = lastFailure?.ToString();
        throw loss;
    }

    private static async Task<ZooKeeperClient> ConnectToAsync(HostPort host, ZooKeeperClientOptions options, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, options.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host.Host, host.Port, linked.Token).ConfigureAwait(false);
            var stream = new NetworkStream(socket, ownsSocket: true);
            var input = PipeReader.Create(stream);
            var output = PipeWriter.Create(stream);

            WriteConnectRequest(output, options);
            await output.FlushAsync(linked.Token).ConfigureAwait(false);
            var (response, readOnly) = await ReadConnectResponseAsync(input, options.MaxBuffer, linked.Token).ConfigureAwait(false);
            if (response.TimeOut <= 0)
            {
                // Java's ClientCnxn: negotiated timeout <= 0 ⇒ the session expired (or the password was wrong).
                throw new KeeperException(ErrorCode.SessionExpired);
            }
            return new ZooKeeperClient(socket, input, output, response, readOnly, options);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static void WriteConnectRequest(PipeWriter output, ZooKeeperClientOptions options)
    {
        var request = new ConnectRequest
        {
            ProtocolVersion = 0,
            LastZxidSeen = options.LastZxidSeen,
            TimeOut = (int)Math.Clamp(options.SessionTimeout.TotalMilliseconds, 0, int.MaxValue),
            SessionId = options.SessionId,
            Passwd = options.Password ?? new byte[PasswordLength],
        };
        int size = request.GetSerializedSize() + (options.SendReadOnlyFlag ? 1 : 0);
        var writer = new JuteWriter(output);
        writer.WriteInt(size);
        request.Serialize(ref writer);
        // Not part of the 3.8 IDL: appended by hand, as Java's ClientCnxn does.
        if (options.SendReadOnlyFlag) writer.WriteBool(options.CanBeReadOnly);
        writer.Flush();
    }

    private static async Task<(ConnectResponse Response, bool ReadOnly)> ReadConnectResponseAsync(PipeReader input, int maxBuffer, CancellationToken ct)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            var status = Framing.TryReadFrame(ref buffer, maxBuffer, out var payload, out int length);
            if (status == Framing.FrameStatus.Complete)
            {
                var parsed = ParseConnectResponse(payload);
                input.AdvanceTo(buffer.Start);
                return parsed;
            }
            if (status == Framing.FrameStatus.BadLength)
                throw new IOException($"ConnectResponse length {length} is out of range");
            input.AdvanceTo(buffer.Start, buffer.End);
            // Closed without a reply: the server refused us (behind our zxid, read-only, ...).
            if (result.IsCompleted || result.IsCanceled)
                throw new KeeperException(ErrorCode.ConnectionLoss);
        }
    }

    private static (ConnectResponse, bool) ParseConnectResponse(ReadOnlySequence<byte> payload)
    {
        var reader = new JuteReader(payload);
        var response = ConnectResponse.Deserialize(ref reader);
        // Only present if we sent the readOnly byte (Java's readConnectResult tolerates its absence).
        bool readOnly = !reader.End && reader.ReadBool();
        return (response, readOnly);
    }
}
