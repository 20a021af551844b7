using ZkCompat.TestSupport;
using System.Text;
using NUnit.Framework;
using NUnit.Framework.Interfaces;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.InteropTests.Client;

/// <summary>
/// Shared plumbing for the client tests: one server per kind per fixture (started on first use, so
/// a ZkCompat server that does not start only fails the ZkCompat cases), clients closed after each
/// test, a fresh path per test, and event reads bounded by a timeout so a missing event fails
/// instead of hanging.
/// </summary>
[Category("Interop")]
public abstract class ClientTestBase
{
    /// <summary>How long a test waits for an expected event or for the connection to close.</summary>
    protected static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Watchdog: a test still running after this has its clients aborted, so it fails instead of hanging.</summary>
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);


    private readonly Dictionary<ServerKind, Task<IZooKeeperProcess>> _servers = [];
    private readonly List<ZooKeeperClient> _clients = [];
    private ServerKind? _currentKind;
    private CancellationTokenSource? _watchdog;

    /// <summary>TTL tests need extended types; the other tests do not care.</summary>
    protected virtual void Configure(ZooCfg config) => config.ExtendedTypesEnabled = true;

    protected Task<IZooKeeperProcess> ServerAsync(ServerKind kind)
    {
        _currentKind = kind;
        lock (_servers)
        {
            if (!_servers.TryGetValue(kind, out var server))
                _servers[kind] = server = StartServingAsync(kind);
            return server;
        }
    }

    /// <summary>The rig's start waits until the server serves sessions (srvr answers), for Java too.</summary>
    private Task<IZooKeeperProcess> StartServingAsync(ServerKind kind) => ZooKeeperProcesses.StartAsync(kind, Configure);

    /// <summary>A client on the fixture's server of <paramref name="kind"/>, closed after the test.</summary>
    protected async Task<ZooKeeperClient> ConnectAsync(ServerKind kind, ZooKeeperClientOptions? options = null)
    {
        var server = await ServerAsync(kind);
        var client = await ZooKeeperClient.ConnectAsync(server.ConnectString, options);
        Track(client);
        return client;
    }

    protected void Track(ZooKeeperClient client)
    {
        lock (_clients) _clients.Add(client);
    }

    [SetUp]
    public void StartWatchdog()
    {
        _watchdog = new CancellationTokenSource(TestTimeout);
        _watchdog.Token.Register(() =>
        {
            lock (_clients)
            {
                foreach (var client in _clients) client.Abort();
            }
        });
    }

    [TearDown]
    public async Task CloseClientsAsync()
    {
        bool timedOut = _watchdog?.IsCancellationRequested ?? false;
        _watchdog?.Dispose();
        _watchdog = null;
        if (timedOut) await TestContext.Out.WriteLineAsync($"watchdog: the test ran over {TestTimeout.TotalSeconds:F0} s and its clients were aborted");
        ZooKeeperClient[] clients;
        lock (_clients)
        {
            clients = [.. _clients];
            _clients.Clear();
        }
        foreach (var client in clients)
        {
            try
            {
                // Bounded in real time: a client on a ManualTimeProvider would otherwise wait forever.
                await client.DisposeAsync().AsTask().WaitAsync(EventTimeout);
            }
            catch (TimeoutException)
            {
                client.Abort();
            }
        }

        if (TestContext.CurrentContext.Result.Outcome.Status == TestStatus.Failed && _currentKind is { } kind
            && _servers.TryGetValue(kind, out var server) && server.IsCompletedSuccessfully)
        {
            string[] lines = server.Result.LogText.Split('\n');
            await TestContext.Out.WriteLineAsync($"--- {kind} server log (tail) ---\n" + string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 40))));
        }
        _currentKind = null;
    }

    [OneTimeTearDown]
    public async Task StopServersAsync()
    {
        foreach (var server in _servers.Values)
        {
            if (server.IsCompletedSuccessfully) await server.Result.DisposeAsync();
        }
        _servers.Clear();
    }

    /// <summary>A path no other test uses, named after the test for server logs.</summary>
    protected static string UniquePath() =>
        "/" + TestContext.CurrentContext.Test.MethodName + "-" + Guid.NewGuid().ToString("N")[..8];

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The next watch notification or state event; fails the test if none comes in time.</summary>
    protected static async Task<WatcherEvent> NextEventAsync(ZooKeeperClient client)
    {
        using var timeout = new CancellationTokenSource(EventTimeout);
        try
        {
            return await client.Events.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no event within {EventTimeout.TotalSeconds:F0} s");
            throw;
        }
    }

    /// <summary>Reads the events channel to its end (after the connection closed) and returns what was left.</summary>
    protected static async Task<List<WatcherEvent>> RemainingEventsAsync(ZooKeeperClient client)
    {
        using var timeout = new CancellationTokenSource(EventTimeout);
        var events = new List<WatcherEvent>();
        try
        {
            await foreach (var e in client.Events.ReadAllAsync(timeout.Token)) events.Add(e);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the events channel did not complete within {EventTimeout.TotalSeconds:F0} s; got {string.Join(", ", events)}");
        }
        return events;
    }

    /// <summary>Waits (bounded) until the connection has gone.</summary>
    protected static async Task WaitClosedAsync(ZooKeeperClient client)
    {
        using var timeout = new CancellationTokenSource(EventTimeout);
        try
        {
            await client.Completion.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the connection did not close within {EventTimeout.TotalSeconds:F0} s");
        }
    }

    /// <summary>Awaits a reply that might never come (protocol probes), failing instead of hanging.</summary>
    protected static async Task<T> Bounded<T>(Task<T> task)
    {
        try
        {
            return await task.WaitAsync(EventTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"no reply within {EventTimeout.TotalSeconds:F0} s");
            throw;
        }
    }

    protected static WatcherEvent Event(EventType type, string? path, KeeperState state = KeeperState.SyncConnected) =>
        new((int)type, (int)state, path);

    protected static async Task<ErrorCode> ErrorOf(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (KeeperException e)
        {
            return e.Code;
        }
        return ErrorCode.Ok;
    }
}
