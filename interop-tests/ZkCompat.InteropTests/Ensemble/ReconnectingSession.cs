using System.Diagnostics;
using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>
/// One session that outlives its connections, as Java's ClientCnxn keeps it: when a connection is lost
/// it reconnects, server after server of the ensemble, with the same session id and password and the
/// highest zxid it has seen (a server behind that refuses it). A server that refuses (not serving,
/// killed) is skipped; the session expiring fails the caller, as it would fail a real client.
/// </summary>
internal sealed class ReconnectingSession : IAsyncDisposable
{
    /// <summary>How long a reconnect may take in all: beyond this the session would be expired anyway.</summary>
    private static readonly TimeSpan ReconnectTimeout = TimeSpan.FromSeconds(40);

    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(50);

    private readonly IReadOnlyList<string> _servers;
    private readonly ZooKeeperClientOptions _options;
    private int _serverIndex;
    private long _lastZxid;

    private ReconnectingSession(IReadOnlyList<string> servers, int serverIndex, ZooKeeperClientOptions options, ZooKeeperClient client)
    {
        _servers = servers;
        _serverIndex = serverIndex;
        _options = options;
        Client = client;
        SessionId = client.SessionId;
        Password = client.Password;
    }

    /// <summary>The current connection.</summary>
    public ZooKeeperClient Client { get; private set; }

    public long SessionId { get; }

    public byte[] Password { get; }

    /// <summary>The server the current connection goes to.</summary>
    public string Server => _servers[_serverIndex];

    /// <summary>How many times the session moved to a new connection.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Opens a session on <paramref name="servers"/>[<paramref name="first"/>] (retrying the others if it refuses).</summary>
    public static async Task<ReconnectingSession> ConnectAsync(IReadOnlyList<string> servers, int first, TimeSpan sessionTimeout, CancellationToken ct)
    {
        var options = new ZooKeeperClientOptions { SessionTimeout = sessionTimeout, ConnectTimeout = TimeSpan.FromSeconds(3) };
        var (client, index) = await ConnectSomewhereAsync(servers, first, options, ct);
        return new ReconnectingSession(servers, index, options, client);
    }

    /// <summary>
    /// Drops the current connection and resumes the session on the next server that takes it. Throws
    /// <see cref="KeeperException"/> SessionExpired if the ensemble says the session is gone.
    /// </summary>
    public async Task ReconnectAsync(CancellationToken ct)
    {
        _lastZxid = Math.Max(_lastZxid, Client.LastZxid);
        Client.Abort();
        var options = _options with { SessionId = SessionId, Password = Password, LastZxidSeen = _lastZxid };
        var (client, index) = await ConnectSomewhereAsync(_servers, _serverIndex + 1, options, ct);
        if (client.SessionId != SessionId)
            throw new InvalidOperationException($"resuming session 0x{SessionId:x} on {_servers[index]} gave session 0x{client.SessionId:x}");
        Client = client;
        _serverIndex = index;
        Reconnects++;
    }

    private static async Task<(ZooKeeperClient Client, int Index)> ConnectSomewhereAsync(IReadOnlyList<string> servers, int first,
        ZooKeeperClientOptions options, CancellationToken ct)
    {
        var elapsed = Stopwatch.StartNew();
        var failures = new List<string>();
        for (int attempt = 0; ; attempt++)
        {
            int index = (first + attempt) % servers.Count;
            try
            {
                return (await ZooKeeperClient.ConnectAsync(servers[index], options, ct), index);
            }
            catch (KeeperException e) when (e.Code == ErrorCode.ConnectionLoss)
            {
                failures.Add($"{servers[index]}: {e.Data["LastFailure"] ?? e.Message}");
            }
            if (elapsed.Elapsed > ReconnectTimeout)
            {
                throw new TimeoutException($"no server took the session within {ReconnectTimeout.TotalSeconds:F0}s; last refusals:\n" +
                    string.Join('\n', failures.TakeLast(servers.Count)));
            }
            // After every server refused once, give the ensemble a moment (an election is under way).
            if ((attempt + 1) % servers.Count == 0) await Task.Delay(RetryPause, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.CloseAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is KeeperException or TimeoutException or IOException or OperationCanceledException)
        {
            Client.Abort();
        }
    }
}
