using System.Net;
using Microsoft.Extensions.Logging;
using ZkCompat.Client;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network;
using ZkCompat.Server.Network.Tls;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Tls;

/// <summary>
/// A standalone server in the test process with a plain and a secure client port (both ephemeral, on
/// loopback), configured from zoo.cfg-style <c>zookeeper.*</c> properties as Java reads them.
/// </summary>
public sealed class SecureServer : IAsyncDisposable
{
    private SecureServer(ZooKeeperServer server, ClientListener plain, ClientListener secure, ClientTlsContextProvider contexts, CapturingLoggers logs)
    {
        Server = server;
        Plain = plain;
        Secure = secure;
        Contexts = contexts;
        Logs = logs;
    }

    public ZooKeeperServer Server { get; }
    public ClientListener Plain { get; }
    public ClientListener Secure { get; }
    public ClientTlsContextProvider Contexts { get; }
    public CapturingLoggers Logs { get; }
    public int SecurePort => Secure.LocalEndPoint.Port;
    public string PlainConnectString => $"127.0.0.1:{Plain.LocalEndPoint.Port}";

    /// <summary>The x509 provider line of zoo.cfg, as a system property.</summary>
    public static KeyValuePair<string, string> X509Provider =>
        new("zookeeper.authProvider.x509", "org.apache.zookeeper.server.auth.X509AuthenticationProvider");

    public static SecureServer Start(IEnumerable<KeyValuePair<string, string>> properties)
    {
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in properties) all[k] = v;
        var options = SystemPropertySettings.Apply(
            new ServerOptions { TickTime = 2000, ClientPortAddress = "127.0.0.1", SecureClientPort = 1 }, all, []);
        var logs = new CapturingLoggers();
        var server = new ZooKeeperServer(options, new InMemoryTxnLog(), TimeProvider.System, logs);
        server.Start();
        var plain = new ClientListener(server, new IPEndPoint(IPAddress.Loopback, 0), logs);
        var contexts = new ClientTlsContextProvider(options.ClientTls, logs.CreateLogger("tls"));
        var acceptor = new SecureClientAcceptor(options.ClientTls, contexts, TimeProvider.System, logs.CreateLogger("acceptor"));
        var secure = new ClientListener(() => server, options, new IPEndPoint(IPAddress.Loopback, 0), logs, acceptor);
        SecureClientPort.ShareConnections(server, plain, secure);
        if (options.ClientTls.CertReload) contexts.EnableCertFileReloading();
        plain.Start();
        secure.Start();
        return new SecureServer(server, plain, secure, contexts, logs);
    }

    public Task<ZooKeeperClient> ConnectPlainAsync() => ZooKeeperClient.ConnectAsync(PlainConnectString);

    public async ValueTask DisposeAsync()
    {
        await Secure.DisposeAsync();
        await Plain.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>Loggers that keep every message, so tests can see what the server logged.</summary>
public sealed class CapturingLoggers : ILoggerFactory
{
    private readonly List<string> _lines = [];
    private readonly Lock _gate = new();

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_gate) return [.. _lines];
        }
    }

    /// <summary>Waits (on the log itself, not a clock) until a line containing <paramref name="text"/> appears.</summary>
    public async Task<string> WaitForAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                var line = _lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
                if (line is not null) return line;
                changed = _changed;
            }
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero) throw new TimeoutException($"no log line with '{text}'; log:\n" + string.Join('\n', Lines));
            await Task.WhenAny(changed.Task, Task.Delay(remaining));
        }
    }

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Add(string line)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            _lines.Add(line);
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggers owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.Add($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
