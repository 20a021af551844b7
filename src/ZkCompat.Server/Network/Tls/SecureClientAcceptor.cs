using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Auth;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Network.Tls;

/// <summary>A finished handshake: the TLS stream to run the connection over and what the client proved.</summary>
/// <param name="ClientCertificateChain">The certificates the client sent, leaf first; null when it sent none.</param>
public sealed record SecureClientSession(SslStream Stream, ClientAuthMode ClientAuth, IReadOnlyList<X509Certificate2>? ClientCertificateChain);

/// <summary>
/// What the secure client port does before a connection becomes a ZooKeeper connection (Java's
/// NettyServerCnxnFactory with its SslHandler and CertificateVerifier): the optional handshake throttle,
/// the TLS handshake itself (a plaintext client is recognised by its first byte and closed), and, when a
/// certificate was asked for and given, its authentication by the x509 provider. Every failure closes
/// that one connection and is logged; nothing is shared between handshakes but the context.
/// </summary>
public sealed partial class SecureClientAcceptor : IAsyncDisposable
{
    /// <summary>Netty's SslHandler default handshake timeout.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    private const byte TlsHandshakeRecord = 0x16;

    private readonly ClientTlsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private int _outstandingHandshakes;

    public SecureClientAcceptor(ClientTlsOptions options, ClientTlsContextProvider contexts, TimeProvider time, ILogger log)
    {
        _options = options;
        Contexts = contexts;
        _time = time;
        _log = log;
    }

    /// <summary>The context source; it belongs to this acceptor and is disposed with it.</summary>
    public ClientTlsContextProvider Contexts { get; }

    /// <summary><c>zookeeper.netty.server.earlyDropSecureConnectionHandshakes</c>.</summary>
    public bool EarlyDropWhenNotServing => _options.EarlyDropSecureConnectionHandshakes;

    /// <summary>Handshakes under way now (Java's outstandingHandshake).</summary>
    public int OutstandingHandshakes => Volatile.Read(ref _outstandingHandshakes);

    /// <summary>
    /// Runs the server side of the handshake on <paramref name="socket"/>. On failure the socket is closed,
    /// the reason logged and null returned; on success the socket belongs to the returned stream.
    /// </summary>
    public async Task<SecureClientSession?> HandshakeAsync(Socket socket, IPEndPoint remote, CancellationToken ct)
    {
        int limit = _options.OutstandingHandshakeLimit;
        if (limit > 0 && Interlocked.Increment(ref _outstandingHandshakes) > limit)
        {
            Interlocked.Decrement(ref _outstandingHandshakes);
            LogHandshakeLimit(remote, limit);
            socket.Dispose();
            return null;
        }
        try
        {
            return await RunHandshakeAsync(socket, remote, ct).ConfigureAwait(false);
        }
        finally
        {
            if (limit > 0) Interlocked.Decrement(ref _outstandingHandshakes);
        }
    }

    private async Task<SecureClientSession?> RunHandshakeAsync(Socket socket, IPEndPoint remote, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(HandshakeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        SslStream? ssl = null;
        ClientCertificateVerdict? verdict = null;
        try
        {
            // A plaintext client (a ConnectRequest, a four-letter word) starts with anything but a handshake record.
            var first = new byte[1];
            int read = await socket.ReceiveAsync(first, SocketFlags.Peek, linked.Token).ConfigureAwait(false);
            if (read == 0)
            {
                LogClosedBeforeHandshake(remote);
                socket.Dispose();
                return null;
            }
            if (first[0] != TlsHandshakeRecord)
            {
                LogPlaintext(remote, first[0]);
                socket.Dispose();
                return null;
            }
            if (Contexts.Current is not { } context)
            {
                LogNoContext(remote);
                socket.Dispose();
                return null;
            }
            if (context.CertificateContext is null)
            {
                LogNoServerCertificate(remote, ClientTlsOptions.Prefix + "keyStore.location");
                socket.Dispose();
                return null;
            }

            verdict = new ClientCertificateVerdict(context);
            ssl = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsServerAsync(context.ServerOptions(verdict.Validate), linked.Token).ConfigureAwait(false);
            LogHandshake(remote, ssl.SslProtocol, ssl.NegotiatedCipherSuite);
            var session = new SecureClientSession(ssl, context.ClientAuth, verdict.Chain);
            ssl = null;
            return session;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or OperationCanceledException or ObjectDisposedException
                                      or NotSupportedException or InvalidOperationException or System.Security.Cryptography.CryptographicException)
        {
            string reason = e is OperationCanceledException && !ct.IsCancellationRequested
                ? $"no handshake within {HandshakeTimeout.TotalSeconds:F0}s"
                : verdict?.Rejection is { } rejection ? "client certificate rejected: " + rejection
                : e.InnerException is { } inner ? e.Message + " " + inner.Message : e.Message;
            if (!ct.IsCancellationRequested) LogHandshakeFailed(remote, reason);
            if (ssl is not null) await ssl.DisposeAsync().ConfigureAwait(false);
            else socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// CertificateVerifier: with a certificate asked for and given, the x509 provider (the scheme named by
    /// <c>zookeeper.ssl.authProvider</c>, default x509) must exist and accept it. Returns the ids the
    /// connection starts with, or null when it must be closed (logged).
    /// </summary>
    public IReadOnlyList<Id>? Authenticate(SecureClientSession session, AuthenticationProviders providers, IPEndPoint remote)
    {
        if (session.ClientAuth == ClientAuthMode.None || session.ClientCertificateChain is not { Count: > 0 } chain) return [];
        string scheme = _options.AuthProvider ?? "x509";
        if (providers.Get(scheme) is not X509AuthenticationProvider x509)
        {
            LogNoX509Provider(scheme, remote);
            return null;
        }
        var ids = new List<Id>();
        if (x509.Authenticate(chain, ids, out string? failure) != ErrorCode.Ok)
        {
            LogAuthFailed(remote, failure ?? "");
            return null;
        }
        foreach (var id in ids) LogAuthenticated(id.IdValue ?? "", id.Scheme ?? "");
        return ids;
    }

    public ValueTask DisposeAsync() => Contexts.DisposeAsync();

    // The handshake's view of the client's certificate: what SslStream checked against the trust store,
    // with Java's extra rule that any trust store entry is an anchor.
    private sealed class ClientCertificateVerdict(ClientTlsContext context)
    {
        public IReadOnlyList<X509Certificate2>? Chain { get; private set; }

        /// <summary>Why the client's certificate was refused, when it was.</summary>
        public string? Rejection { get; private set; }

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (context.ClientAuth == ClientAuthMode.None) return true;
            if (certificate is null)
            {
                if (context.ClientAuth == ClientAuthMode.Want) return true;
                Rejection = "Empty client certificate chain (ssl.clientAuth=need)";
                return false;
            }
            var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            var sent = new List<X509Certificate2> { leaf };
            if (chain is not null)
            {
                foreach (var extra in chain.ChainPolicy.ExtraStore)
                {
                    if (extra.Thumbprint != leaf.Thumbprint) sent.Add(X509CertificateLoader.LoadCertificate(extra.RawData));
                }
            }
            string? reason = null;
            bool trusted = errors == SslPolicyErrors.None
                || (errors == SslPolicyErrors.RemoteCertificateChainErrors && context.Validator.IsTrusted(sent, out reason));
            if (trusted) Chain = sent;
            else Rejection = $"{leaf.Subject}: {reason ?? errors.ToString()}";
            return trusted;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing connection from {Remote}: {Limit} TLS handshakes are already under way (zookeeper.netty.server.outstandingHandshake.limit)")]
    private partial void LogHandshakeLimit(IPEndPoint remote, int limit);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection from {Remote} closed before the TLS handshake")]
    private partial void LogClosedBeforeHandshake(IPEndPoint remote);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unsuccessful handshake with {Remote}: not a TLS connection (first byte 0x{FirstByte:x2}); closing it")]
    private partial void LogPlaintext(IPEndPoint remote, byte firstByte);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unsuccessful handshake with {Remote}: no SSL context (see the error above); closing it")]
    private partial void LogNoContext(IPEndPoint remote);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unsuccessful handshake with {Remote}: the server has no certificate ({Setting} not specified); closing it")]
    private partial void LogNoServerCertificate(IPEndPoint remote, string setting);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unsuccessful handshake with {Remote}: {Reason}")]
    private partial void LogHandshakeFailed(IPEndPoint remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Successful handshake with {Remote}: {Protocol} {CipherSuite}")]
    private partial void LogHandshake(IPEndPoint remote, SslProtocols protocol, TlsCipherSuite cipherSuite);

    [LoggerMessage(Level = LogLevel.Error, Message = "X509 Auth provider not found: {Scheme}; closing the connection from {Remote}")]
    private partial void LogNoX509Provider(string scheme, IPEndPoint remote);

    [LoggerMessage(Level = LogLevel.Error, Message = "Authentication failed for the connection from {Remote}: {Reason}")]
    private partial void LogAuthFailed(IPEndPoint remote, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Authenticated Id '{Id}' for Scheme '{Scheme}'")]
    private partial void LogAuthenticated(string id, string scheme);
}
