using System.Net;
using Microsoft.Extensions.Logging;
using ZkCompat.Server.Auth;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Network.Tls;

/// <summary>
/// Starting the secure client port next to the plain one (Java's <c>secureCnxnFactory</c> in
/// ZooKeeperServerMain and QuorumPeerMain).
/// </summary>
public static partial class SecureClientPort
{
    /// <summary>
    /// What Java's ServerCnxnFactory.createFactory/configure would throw for these options, as the text
    /// of the exception it would die with (exit code 1, "Unexpected exception, exiting abnormally"); null
    /// when the ports can be set up.
    /// </summary>
    public static string? StartupProblem(ServerOptions options)
    {
        bool anyPort = options.ClientPort != 0 || options.SecureClientPort != 0 || options.IsDistributed;
        if (!anyPort) return null;
        if (options.ServerCnxnFactory is not (ServerOptions.NioServerCnxnFactory or ServerOptions.NettyServerCnxnFactory))
            return "java.io.IOException: Couldn't instantiate " + options.ServerCnxnFactory;
        if (options.SecureClientPort != 0 && options.ServerCnxnFactory == ServerOptions.NioServerCnxnFactory)
            return "java.lang.UnsupportedOperationException: SSL isn't supported in NIOServerCnxn";
        return null;
    }

    /// <summary>
    /// The secure client port's listener (not started), or null when no secureClientPort is configured.
    /// Logs what Java logs at startup about the stores; a context that cannot be built yet fails
    /// connections, not the server.
    /// </summary>
    /// <exception cref="System.Net.Sockets.SocketException">The port cannot be bound.</exception>
    public static async Task<ClientListener?> CreateListenerAsync(Func<ZooKeeperServer?> server, ServerOptions options, ILoggerFactory loggers,
        TimeProvider time, CancellationToken ct)
    {
        if (options.SecureClientPort == 0) return null;
        var log = loggers.CreateLogger("ZkCompat.Server.Network.Tls.SecureClientPort");
        var address = await ResolveAsync(options.SecureClientPortAddress, ct).ConfigureAwait(false);
        var contexts = new ClientTlsContextProvider(options.ClientTls, loggers.CreateLogger("ZkCompat.Server.Network.Tls.ClientTlsContext"));
        var acceptor = new SecureClientAcceptor(options.ClientTls, contexts, time, loggers.CreateLogger("ZkCompat.Server.Network.Tls.SecureClientAcceptor"));
        ClientListener listener;
        try
        {
            listener = new ClientListener(server, options, new IPEndPoint(address, options.SecureClientPort), loggers, acceptor);
        }
        catch
        {
            await acceptor.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        LogConfigured(log, options.ServerCnxnFactory, options.SecureClientPort);
        // Java builds the context at the first connection; building it now reports bad stores at startup.
        _ = contexts.Current;
        if (options.ClientTls.CertReload) contexts.EnableCertFileReloading();
        if (AuthenticationProviders.FromOptions(options).Get(options.ClientTls.AuthProvider ?? "x509") is X509AuthenticationProvider x509
            && x509.TrustProblem is { } problem)
        {
            LogX509TrustProblem(log, problem);
        }
        return listener;
    }

    /// <summary>
    /// Lets four-letter words and role changes see both ports' connections: <paramref name="zks"/> lists the
    /// connections bound to it on either listener.
    /// </summary>
    public static void ShareConnections(ZooKeeperServer zks, ClientListener? plain, ClientListener? secure) =>
        zks.ConnectionSource = () =>
        [
            .. plain?.ConnectionsOf(zks) ?? [],
            .. secure?.ConnectionsOf(zks) ?? [],
        ];

    // Like clientPortAddress: a host name is resolved, no address means every interface.
    private static async Task<IPAddress> ResolveAsync(string? host, CancellationToken ct) =>
        string.IsNullOrEmpty(host) ? IPAddress.IPv6Any
        : IPAddress.TryParse(host, out var parsed) ? parsed
        : (await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false)).First();

    [LoggerMessage(Level = LogLevel.Information, Message = "Using {Factory} as server connection factory; secure client port {Port}")]
    private static partial void LogConfigured(ILogger log, string factory, int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "X509AuthenticationProvider: {Problem}; no client certificate will be authenticated")]
    private static partial void LogX509TrustProblem(ILogger log, string problem);
}
