using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;
using ZkCompat.Server.Auth.Sasl;
using ZkCompat.Server.Processors;

namespace ZkCompat.Server.Network;

/// <summary>
/// One client connection (Java's <c>NIOServerCnxn</c>): a read loop that frames and decodes
/// requests and hands them to the server, and one writer loop that sends replies and watch
/// events in the order they were queued, batching whatever is ready into one socket write.
/// </summary>
public sealed partial class ClientConnection : IServerConnection
{
    private static readonly object CloseMarker = new();
    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly ZooKeeperServer _zks;
    private readonly ILogger _log;
    private readonly Channel<object> _outgoing = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closed = new();
    private TaskCompletionSource<bool>? _sessionReady;
    private ISaslServer? _saslServer;
    private volatile Id[] _authInfo;
    private volatile bool _stale;
    private bool _initialized;
    private bool _oldClient;
    private long _sessionId;
    private int _sessionTimeout;

    /// <summary>The server this connection talks to (a quorum peer's changes with its role).</summary>
    public ZooKeeperServer Server => _zks;

    public ClientConnection(Socket socket, ZooKeeperServer zks, ILogger log)
        : this(socket, new NetworkStream(socket, ownsSocket: true), zks, log, [], null)
    {
    }

    /// <summary>
    /// A connection over <paramref name="stream"/> (the secure port's TLS stream, which owns
    /// <paramref name="socket"/>), starting with <paramref name="securityIds"/> (x509) after its ip id.
    /// </summary>
    public ClientConnection(Socket socket, Stream stream, ZooKeeperServer zks, ILogger log, IReadOnlyList<Id> securityIds,
        IReadOnlyList<X509Certificate2>? clientCertificateChain)
    {
        _socket = socket;
        _zks = zks;
        _log = log;
        ClientCertificateChain = clientCertificateChain;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: false));
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        var address = RemoteEndPoint.Address.IsIPv4MappedToIPv6 ? RemoteEndPoint.Address.MapToIPv4() : RemoteEndPoint.Address;
        // Every connection is implicitly authenticated as its address (the ip scheme).
        _authInfo = [new Id("ip", address.ToString()), .. securityIds];
        Stats = new ConnectionStats(zks.Time);
    }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>The certificates a secure-port client sent (leaf first); null on the plain port or without one.</summary>
    public IReadOnlyList<X509Certificate2>? ClientCertificateChain { get; }
    public long SessionId => Interlocked.Read(ref _sessionId);
    public int SessionTimeout => Volatile.Read(ref _sessionTimeout);
    public IReadOnlyList<Id> AuthInfo => _authInfo;
    public ConnectionStats Stats { get; }
    public int OutstandingRequests => Stats.Outstanding;

    /// <summary>Closed: watches must no longer be registered for it.</summary>
    public bool IsStale => _stale;

    /// <summary>Runs the connection until either side closes it.</summary>
    public async Task RunAsync(CancellationToken serverStopping)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, _closed.Token);
        var writer = Task.Run(() => WriteLoopAsync(linked.Token), CancellationToken.None);
        try
        {
            await ReadLoopAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (e is IOException or SocketException or JuteException)
        {
            LogReadFailed(RemoteEndPoint, SessionId, e.Message);
        }
        finally
        {
            // Let queued replies (e.g. to closeSession) go out before the socket closes.
            _outgoing.Writer.TryComplete();
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
            }
            await _input.CompleteAsync().ConfigureAwait(false);
            _sessionReady?.TrySetResult(false);
            _stale = true;
            _zks.ConnectionClosed(this);
            LogClosed(RemoteEndPoint, SessionId);
            _closed.Dispose();
        }
    }

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        int maxBuffer = _zks.Options.JuteMaxBuffer;
        while (true)
        {
            var result = await _input.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                if (!_initialized && buffer.Length >= 4 && FourLetterWords.TryGetCommand(buffer, out string? command))
                {
                    // stmk's trace mask follows the word: wait for its 8 bytes.
                    if (buffer.Length < FourLetterWords.BytesNeeded(command!, _zks) && !result.IsCompleted) continue;
                    await FourLetterWords.RunAsync(command!, buffer, this, _zks, _output, _log, ct).ConfigureAwait(false);
                    return;
                }
                while (true)
                {
                    var status = Framing.TryReadFrame(ref buffer, maxBuffer, out var payload, out int length);
                    if (status == Framing.FrameStatus.Incomplete) break;
                    if (status == Framing.FrameStatus.BadLength)
                    {
                        LogBadLength(length, RemoteEndPoint);
                        return;
                    }
                    Stats.PacketReceived();
                    _zks.Stats.IncrementPacketsReceived();
                    if (!_initialized)
                    {
                        if (!await ProcessConnectRequestAsync(payload, ct).ConfigureAwait(false)) return;
                    }
                    else if (!await ProcessPacketAsync(payload, ct).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (result.IsCompleted || result.IsCanceled) return;
        }
    }

    private async ValueTask<bool> ProcessConnectRequestAsync(ReadOnlySequence<byte> payload, CancellationToken ct)
    {
        var reader = new JuteReader(payload, _zks.Limits);
        var request = ConnectRequest.Deserialize(ref reader);
        bool readOnly = false;
        // Clients before 3.4 do not send the readOnly byte; they must not get one back.
        if (reader.Remaining > 0) readOnly = reader.ReadBool();
        else _oldClient = true;
        _initialized = true;
        _sessionReady = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!await _zks.ProcessConnectRequestAsync(this, request, readOnly, ct).ConfigureAwait(false)) return false;
        // Like Java, stop reading until the session exists: pipelined requests wait for it.
        return await _sessionReady.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    private async ValueTask<bool> ProcessPacketAsync(ReadOnlySequence<byte> payload, CancellationToken ct)
    {
        var reader = new JuteReader(payload, _zks.Limits);
        var header = RequestHeader.Deserialize(ref reader);
        var type = (OpCode)header.Type;
        if (type == OpCode.Auth)
        {
            var auth = AuthPacket.Deserialize(ref reader);
            return HandleAuth(header, auth);
        }
        if (type == OpCode.Sasl)
        {
            var sasl = GetSASLRequest.Deserialize(ref reader);
            return HandleSasl(header, sasl.Token);
        }
        var enforcement = _zks.AuthProviders.Sasl.Enforcement;
        if (!enforcement.IsAuthenticated(_authInfo))
        {
            // Java's AuthenticationHelper: answer, then close, before the request reaches the chain.
            LogNotAuthenticated(string.Join(",", _authInfo.Select(id => id.Scheme)), string.Join(",", enforcement.EnforceAuthSchemes));
            SendResponse(new ReplyHeader(header.Xid, 0, (int)ErrorCode.SessionClosedRequireSaslAuth), null);
            SendCloseSession();
            return false;
        }
        // The request outlives the pipe buffer: copy its body out.
        byte[] body = reader.UnreadSequence.ToArray();
        Stats.RequestStarted();
        var request = new Request(this, SessionId, header.Xid, type, body, _authInfo)
        {
            Owner = this,
            CreateTimestamp = _zks.Time.GetTimestamp(),
        };
        await _zks.SubmitAsync(request, ct).ConfigureAwait(false);
        return true;
    }

    private bool HandleAuth(RequestHeader header, AuthPacket auth)
    {
        var provider = auth.Scheme is null ? null : _zks.AuthProviders.Get(auth.Scheme);
        ErrorCode rc = ErrorCode.AuthFailed;
        if (provider is not null)
        {
            var ids = new List<Id>(_authInfo);
            try
            {
                // x509 authenticates with the connection's certificate, not with the packet's bytes.
                rc = provider is Auth.X509AuthenticationProvider x509
                    ? x509.Authenticate(ClientCertificateChain, ids, out _)
                    : provider.HandleAuthentication(auth.Auth ?? [], ids, RemoteEndPoint);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
            {
                rc = ErrorCode.AuthFailed;
            }
            if (rc == ErrorCode.Ok) _authInfo = [.. ids];
        }
        else
        {
            LogNoProvider(auth.Scheme);
        }
        // Java answers auth at once, outside the processor chain, with zxid 0.
        SendResponse(new ReplyHeader(header.Xid, 0, (int)rc), null);
        if (rc == ErrorCode.Ok) return true;
        SendCloseSession();
        return false;
    }

    // One step of the client's SASL exchange, answered at once like auth (Java's processSasl).
    private bool HandleSasl(RequestHeader header, byte[]? token)
    {
        var sasl = _zks.AuthProviders.Sasl;
        _saslServer ??= sasl.CreateSaslServer();
        var outcome = sasl.ProcessSasl(_saslServer, token, _authInfo, SessionId, RemoteEndPoint, _log);
        _authInfo = [.. outcome.AuthInfo];
        if (outcome.Err is { } err)
        {
            SendResponse(new ReplyHeader(header.Xid, 0, (int)err), new SetSASLResponse(outcome.Token));
            if (outcome.Close) SendCloseSession();
        }
        return !outcome.Close;
    }

    public void BindSession(long sessionId, int timeout)
    {
        Interlocked.Exchange(ref _sessionId, sessionId);
        Volatile.Write(ref _sessionTimeout, timeout);
    }

    public void SessionEstablished(bool valid) => _sessionReady?.TrySetResult(valid);

    public void SendConnectResponse(ConnectResponse response, bool readOnly) =>
        _outgoing.Writer.TryWrite(new ConnectFrame(response, _oldClient ? null : readOnly));

    public void SendResponse(ReplyHeader header, IJuteWritable? body) =>
        _outgoing.Writer.TryWrite(new ReplyFrame(header, body));

    /// <summary>Watch notification: xid -1, zxid -1, then the event.</summary>
    public void Process(WatcherEvent evt) =>
        _outgoing.Writer.TryWrite(new ReplyFrame(new ReplyHeader(Xids.Notification, -1, 0), evt));

    public void SendCloseSession()
    {
        _outgoing.Writer.TryWrite(CloseMarker);
    }

    public void RequestFinished(Request request, string lastOp, long lastZxid) =>
        Stats.RequestFinished(request, lastOp, lastZxid, _zks.Stats);

    /// <summary>Closes the connection now (server shutdown, maxClientCnxns).</summary>
    public void Abort()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task WriteLoopAsync(CancellationToken ct)
    {
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (ReferenceEquals(item, CloseMarker))
                    {
                        await _output.FlushAsync(ct).ConfigureAwait(false);
                        Close();
                        return;
                    }
                    Write(item);
                    Stats.PacketSent();
                    _zks.Stats.IncrementPacketsSent();
                }
                var flush = await _output.FlushAsync(ct).ConfigureAwait(false);
                if (flush.IsCompleted) break;
            }
        }
        finally
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Write(object item)
    {
        switch (item)
        {
            case ReplyFrame reply:
                Framing.WriteFrame(_output, reply.Header, reply.Body);
                break;
            case ConnectFrame connect:
            {
                int size = connect.Response.GetSerializedSize() + (connect.ReadOnly.HasValue ? 1 : 0);
                var writer = new JuteWriter(_output);
                writer.WriteInt(size);
                connect.Response.Serialize(ref writer);
                if (connect.ReadOnly is { } ro) writer.WriteBool(ro);
                writer.Flush();
                break;
            }
        }
    }

    private void Close()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        Abort();
    }

    private sealed record ReplyFrame(ReplyHeader Header, IJuteWritable? Body);

    private sealed record ConnectFrame(ConnectResponse Response, bool? ReadOnly);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection to {Remote} (session 0x{SessionId:x}): {Reason}")]
    private partial void LogReadFailed(IPEndPoint remote, long sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed socket connection for client {Remote} which had sessionid 0x{SessionId:x}")]
    private partial void LogClosed(IPEndPoint remote, long sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Len error {Length} from {Remote}: closing the connection")]
    private partial void LogBadLength(int length, IPEndPoint remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No authentication provider for scheme: {Scheme}")]
    private partial void LogNoProvider(string? scheme);

    [LoggerMessage(Level = LogLevel.Error, Message = "Client authentication scheme(s) [{Schemes}] does not match with any of the expected authentication scheme [{Expected}], closing session.")]
    private partial void LogNotAuthenticated(string schemes, string expected);
}
