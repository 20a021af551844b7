using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using ZkCompat.Server;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network;
using ZkCompat.Server.Network.Tls;
using ZkCompat.Server.Persistence;

// zkcompat [-Dname=value ...] [zoo.cfg]: the same arguments Java's ZooKeeperServerMain takes,
// with SERVER_JVMFLAGS read as zkServer.sh passes it.
// zkcompat purge <dataLogDir> <snapDir> -n <count>: what zkCleanup.sh (PurgeTxnLog) does.
if (args.Length > 0 && args[0] == "purge")
    return PurgeTxnLog.RunCommand(args[1..], Console.Out, Console.Error);
if (args.Length > 0 && args[0] == "dump")
    return DataDirDump.RunCommand(args[1..], Console.Out, Console.Error);

ServerOptions options;
try
{
    options = ConfigLoader.Load(args, Environment.GetEnvironmentVariable("SERVER_JVMFLAGS"));
}
catch (ConfigException e)
{
    await Console.Error.WriteLineAsync($"Invalid config, exiting abnormally: {e.Message}");
    return 2;
}

using var loggers = LoggerFactory.Create(builder => builder
    .AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "yyyy-MM-dd HH:mm:ss,fff ";
    })
    .SetMinimumLevel(LogLevel.Information));
var log = loggers.CreateLogger("ZkCompat.Server.Main");
foreach (string key in options.UnknownKeys) log.LogInformation("{Key} is not a known zoo.cfg key; set as system property zookeeper.{Key}", key, key);
foreach (string warning in options.Warnings) log.LogWarning("{Warning}", warning);

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    stop.Cancel();
});

// Java starts the metrics provider before anything else; one that cannot start ends the process (exit 1).
ZkCompat.Server.Metrics.PrometheusMetricsProvider? metrics;
try
{
    metrics = await ZkCompat.Server.Metrics.MetricsProviderBootstrap.StartAsync(options, loggers, stop.Token);
}
catch (ZkCompat.Server.Metrics.MetricsProviderLifeCycleException e)
{
    log.LogError("Cannot boot MetricsProvider {ClassName}: {Reason}", options.MetricsProviderClassName, e.Message);
    return 1;
}
await using var metricsProvider = metrics;

// Like Java, clientPortAddress may be a host name; no address means every interface.
var address = string.IsNullOrEmpty(options.ClientPortAddress) ? IPAddress.IPv6Any
    : IPAddress.TryParse(options.ClientPortAddress, out var parsed) ? parsed
    : (await Dns.GetHostAddressesAsync(options.ClientPortAddress)).First();
// Java creates its connection factories at startup; one it cannot use ends the process (exit 1).
if (SecureClientPort.StartupProblem(options) is { } cnxnProblem)
{
    log.LogError("Unexpected exception, exiting abnormally: {Problem}", cnxnProblem);
    return 1;
}
var database = new ZkDatabase(options, TimeProvider.System, loggers);
try
{
    database.LoadDataBase();
}
catch (Exception e) when (e is IOException or CorruptDataException or UnauthorizedAccessException)
{
    log.LogError(e, "Unable to load database on disk");
    database.Dispose();
    return 1;
}
if (options.IsDistributed)
    return await RunQuorumPeerAsync(options, database, address, loggers, log, stop.Token, metrics);

await using var server = new ZooKeeperServer(options, database, TimeProvider.System, loggers);
server.Start();
if (metrics is not null) metrics.ServerSource = () => server;
await using var admin = new ZkCompat.Server.Admin.AdminServer(options, () => server, loggers);
await admin.StartAsync(stop.Token);
ClientListener? listener = null;
try
{
    // With only a secureClientPort there is no plain port, as in Java.
    if (options.ClientPort != 0 || options.SecureClientPort == 0)
        listener = new ClientListener(server, new IPEndPoint(address, options.ClientPort), loggers);
}
catch (System.Net.Sockets.SocketException e)
{
    log.LogError("Unable to bind the client port {Port}: {Reason}", options.ClientPort, e.Message);
    return 1;
}
ClientListener? secureListener;
try
{
    secureListener = await SecureClientPort.CreateListenerAsync(() => server, options, loggers, TimeProvider.System, stop.Token);
}
catch (System.Net.Sockets.SocketException e)
{
    log.LogError("Unable to bind the secure client port {Port}: {Reason}", options.SecureClientPort, e.Message);
    if (listener is not null) await listener.DisposeAsync();
    return 1;
}
await using (listener)
await using (secureListener)
{
    if (secureListener is not null) SecureClientPort.ShareConnections(server, listener, secureListener);
    listener?.Start();
    secureListener?.Start();
    var stopped = Task.Delay(Timeout.Infinite, stop.Token);
    var first = await Task.WhenAny(stopped, server.Failure);
    if (first == server.Failure)
    {
        // A dead processor stage cannot be recovered in-process: exit so a supervisor restarts us.
        log.LogCritical("Exiting after an unrecoverable error");
        return 3;
    }
    log.LogInformation("Shutting down");
}
return 0;

// QuorumPeerMain: the election port, the quorum peer's role loop, and a client port that follows the role.
static async Task<int> RunQuorumPeerAsync(ServerOptions options, ZkDatabase database, IPAddress address, ILoggerFactory loggers, ILogger log, CancellationToken stop,
    ZkCompat.Server.Metrics.PrometheusMetricsProvider? metrics)
{
    await using var _ = database;
    var network = new ZkCompat.Server.Quorum.Transport.TcpPeerNetwork();
    await using var election = ZkCompat.Server.Quorum.Election.ElectionDriver.Create(options, network, TimeProvider.System, loggers);
    var peer = new ZkCompat.Server.Quorum.Peer.QuorumPeer(options, database, network,
        new ZkCompat.Server.Quorum.Peer.DriverElection(election), TimeProvider.System, loggers);
    // The gauges follow the role; counters and summaries are the process's, as Java's ServerMetrics.
    if (metrics is not null) metrics.ServerSource = () => peer.Serving;
    int port = options.ClientPort != 0 ? options.ClientPort : options.Self?.ClientPort ?? 2181;
    ClientListener listener;
    try
    {
        listener = new ClientListener(() => peer.Serving, options, new IPEndPoint(address, port), loggers);
    }
    catch (System.Net.Sockets.SocketException e)
    {
        log.LogError("Unable to bind the client port {Port}: {Reason}", port, e.Message);
        return 1;
    }
    ClientListener? secureListener;
    try
    {
        secureListener = await SecureClientPort.CreateListenerAsync(() => peer.Serving, options, loggers, TimeProvider.System, stop);
    }
    catch (System.Net.Sockets.SocketException e)
    {
        log.LogError("Unable to bind the secure client port {Port}: {Reason}", options.SecureClientPort, e.Message);
        await listener.DisposeAsync();
        return 1;
    }
    await using (listener)
    await using (secureListener)
    {
        peer.ServingChanged = (old, now) =>
        {
            if (old is not null) listener.CloseConnectionsOf(old);
            if (old is not null) secureListener?.CloseConnectionsOf(old);
            if (now is not null) SecureClientPort.ShareConnections(now, listener, secureListener);
        };
        listener.Start();
        secureListener?.Start();
        await using var admin = new ZkCompat.Server.Admin.AdminServer(options, () => peer.Serving, loggers, peer, () => election.CurrentVote.Id);
        await admin.StartAsync(stop);
        election.Start();
        try
        {
            await peer.RunAsync(stop);
        }
        catch (Exception e) when (e is IOException or CorruptDataException)
        {
            log.LogCritical(e, "Exiting: the database cannot be brought in line");
            return 3;
        }
        log.LogInformation("Shutting down");
    }
    return 0;
}
