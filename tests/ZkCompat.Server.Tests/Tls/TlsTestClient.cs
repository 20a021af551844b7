using System.Buffers;
using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Server.Tests.Tls;

/// <summary>
/// A minimal ZooKeeper client over TLS for the secure-port tests: SslStream plus the protocol's framing,
/// one request at a time (no watches, no pipelining).
/// </summary>
public sealed class TlsTestClient : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly SslStream _stream;
    private int _xid;

    private TlsTestClient(SslStream stream) => _stream = stream;

    public long SessionId { get; private set; }

    public X509Certificate2? ServerCertificate { get; private set; }

    public SslProtocols Protocol => _stream.SslProtocol;

    /// <summary>TCP connect and TLS handshake, trusting only <paramref name="ca"/> for the server.</summary>
    public static async Task<SslStream> HandshakeAsync(int port, X509Certificate2 ca, X509Certificate2? clientCertificate,
        SslProtocols protocols = SslProtocols.None)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port, timeout.Token);
        var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        var trust = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            DisableCertificateDownloads = true,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        trust.CustomTrustStore.Add(ca);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                EnabledSslProtocols = protocols,
                CertificateChainPolicy = trust,
                // The client sends its certificate whenever the server asks, whatever the server's CA list says.
                LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate!,
            }, timeout.Token);
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
        return ssl;
    }

    /// <summary>Handshake, then a ZooKeeper session.</summary>
    public static async Task<TlsTestClient> ConnectAsync(int port, X509Certificate2 ca, X509Certificate2? clientCertificate,
        SslProtocols protocols = SslProtocols.None)
    {
        var ssl = await HandshakeAsync(port, ca, clientCertificate, protocols);
        var client = new TlsTestClient(ssl)
        {
            ServerCertificate = ssl.RemoteCertificate is { } remote ? X509CertificateLoader.LoadCertificate(remote.GetRawCertData()) : null,
        };
        try
        {
            await client.StartSessionAsync();
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
        return client;
    }

    private async Task StartSessionAsync()
    {
        var request = new ConnectRequest { ProtocolVersion = 0, TimeOut = 10000, Passwd = new byte[16] };
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(buffer);
        writer.WriteInt(request.GetSerializedSize() + 1);
        request.Serialize(ref writer);
        writer.WriteBool(false);
        writer.Flush();
        await WriteAsync(buffer.WrittenMemory);
        byte[] frame = await ReadFrameAsync() ?? throw new IOException("closed before the ConnectResponse");
        var reader = new JuteReader(frame);
        var response = ConnectResponse.Deserialize(ref reader);
        if (response.TimeOut <= 0) throw new IOException("session refused");
        SessionId = response.SessionId;
    }

    public async Task<List<ClientInfo>> WhoAmIAsync()
    {
        var (err, body) = await CallAsync(OpCode.WhoAmI, null);
        if (err != 0) throw new KeeperException((ErrorCode)err);
        var reader = new JuteReader(body);
        return WhoAmIResponse.Deserialize(ref reader).ClientInfo ?? [];
    }

    public async Task<ErrorCode> CreateAsync(string path, byte[] data, IReadOnlyList<ACL> acl)
    {
        var (err, _) = await CallAsync(OpCode.Create, new CreateRequest(path, data, [.. acl], 0));
        return (ErrorCode)err;
    }

    public async Task<(ErrorCode Error, byte[]? Data)> GetDataAsync(string path)
    {
        var (err, body) = await CallAsync(OpCode.GetData, new GetDataRequest(path, false));
        if (err != 0) return ((ErrorCode)err, null);
        var reader = new JuteReader(body);
        return (ErrorCode.Ok, GetDataResponse.Deserialize(ref reader).Data);
    }

    public async Task<List<ACL>> GetAclAsync(string path)
    {
        var (err, body) = await CallAsync(OpCode.GetAcl, new GetACLRequest(path));
        if (err != 0) throw new KeeperException((ErrorCode)err, path);
        var reader = new JuteReader(body);
        return GetACLResponse.Deserialize(ref reader).Acl ?? [];
    }

    /// <summary>An auth packet (answered with xid -4).</summary>
    public async Task<ErrorCode> AddAuthAsync(string scheme, byte[] auth)
    {
        await SendAsync(new RequestHeader(-4, (int)OpCode.Auth), new AuthPacket(0, scheme, auth));
        byte[] frame = await ReadFrameAsync() ?? throw new IOException("closed before the auth reply");
        var reader = new JuteReader(frame);
        return (ErrorCode)ReplyHeader.Deserialize(ref reader).Err;
    }

    /// <summary>Whether the server has closed the connection (reads until end of stream or the timeout).</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        try
        {
            while (await ReadFrameAsync() is not null)
            {
            }
            return true;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<(int Err, byte[] Body)> CallAsync(OpCode op, IJuteWritable? request)
    {
        int xid = ++_xid;
        await SendAsync(new RequestHeader(xid, (int)op), request);
        while (true)
        {
            byte[] frame = await ReadFrameAsync() ?? throw new IOException("connection closed");
            var reader = new JuteReader(frame);
            var header = ReplyHeader.Deserialize(ref reader);
            if (header.Xid != xid) continue; // a watch event or ping
            return (header.Err, frame.AsSpan((int)(frame.Length - reader.Remaining)).ToArray());
        }
    }

    private async Task SendAsync(RequestHeader header, IJuteWritable? body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Framing.WriteFrame(buffer, header, body);
        await WriteAsync(buffer.WrittenMemory);
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await _stream.WriteAsync(bytes, timeout.Token);
        await _stream.FlushAsync(timeout.Token);
    }

    private async Task<byte[]?> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        var prefix = new byte[4];
        if (!await ReadExactlyOrEndAsync(prefix, timeout.Token)) return null;
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        if (!await ReadExactlyOrEndAsync(frame, timeout.Token)) throw new IOException("truncated frame");
        return frame;
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer, CancellationToken ct)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await _stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        ServerCertificate?.Dispose();
    }
}
