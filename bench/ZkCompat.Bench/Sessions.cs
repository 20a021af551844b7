using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Bench;

/// <summary>Opening and closing the benchmark's sessions, a bounded number at a time.</summary>
public static class Sessions
{
    private const int ConnectParallelism = 32;

    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromSeconds(30);

    public static ZooKeeperClientOptions ClientOptions(TimeProvider time, bool keepAlive = true, TimeSpan? sessionTimeout = null) => new()
    {
        Time = time,
        SessionTimeout = sessionTimeout ?? DefaultSessionTimeout,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        KeepAlive = keepAlive,
    };

    /// <summary>
    /// Connects once, retrying while the server is still starting (refused or not answering) until
    /// <paramref name="maxWait"/> is over.
    /// </summary>
    public static async Task<ZooKeeperClient> ConnectWhenUpAsync(string server, TimeProvider time, TimeSpan maxWait, CancellationToken ct = default)
    {
        long start = time.GetTimestamp();
        while (true)
        {
            try
            {
                return await ZooKeeperClient.ConnectAsync(server, ClientOptions(time), ct).ConfigureAwait(false);
            }
            catch (KeeperException e) when (e.Code == ErrorCode.ConnectionLoss && time.GetElapsedTime(start) < maxWait)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Opens <paramref name="count"/> sessions, session i on <c>servers[i % servers.Count]</c>, so the
    /// load is spread round-robin over an ensemble (and <see cref="ServerOf"/> can tell them apart).
    /// </summary>
    public static async Task<ZooKeeperClient[]> OpenAsync(IReadOnlyList<string> servers, int count, TimeProvider time, TimeSpan? sessionTimeout = null,
        CancellationToken ct = default)
    {
        var clients = new ZooKeeperClient[count];
        using var gate = new SemaphoreSlim(ConnectParallelism);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                clients[i] = await ZooKeeperClient.ConnectAsync(servers[ServerOf(i, servers.Count)], ClientOptions(time, sessionTimeout: sessionTimeout), ct).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            await CloseAsync(clients.Where(c => c is not null)).ConfigureAwait(false);
            throw;
        }
        return clients;
    }

    /// <summary>Which of <paramref name="servers"/> session <paramref name="index"/> was opened on by <see cref="OpenAsync"/>.</summary>
    public static int ServerOf(int index, int servers) => index % servers;

    /// <summary>
    /// On an ensemble, setup went through one server and a follower may not have applied it yet: every
    /// session syncs <paramref name="path"/> (its server catches up with the leader), then each server
    /// is asked for <paramref name="probe"/>, the last znode setup created. A standalone server has
    /// nothing to catch up with, so nothing is sent.
    /// </summary>
    public static async Task SyncWithSetupAsync(IReadOnlyList<ZooKeeperClient> clients, int servers, string path, string? probe)
    {
        if (servers <= 1) return;
        await Task.WhenAll(clients.Select(c => c.SyncAsync(path))).ConfigureAwait(false);
        if (probe is null) return;
        for (int s = 0; s < Math.Min(servers, clients.Count); s++)
        {
            if (await clients[s].ExistsAsync(probe).ConfigureAwait(false) is null)
                throw new InvalidOperationException($"server {s + 1} of the list still lacks {probe} after sync");
        }
    }

    public static async Task CloseAsync(IEnumerable<ZooKeeperClient> clients)
    {
        using var gate = new SemaphoreSlim(ConnectParallelism);
        await Task.WhenAll(clients.Select(async c =>
        {
            await gate.WaitAsync().ConfigureAwait(false);
            try
            {
                await c.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
    }

    /// <summary>Creates <paramref name="path"/> and its missing ancestors as persistent nodes; existing ones are fine.</summary>
    public static async Task EnsurePathAsync(ZooKeeperClient client, string path, byte[]? data = null)
    {
        string[] parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        string prefix = "";
        for (int i = 0; i < parts.Length; i++)
        {
            prefix += "/" + parts[i];
            try
            {
                await client.CreateAsync(prefix, i == parts.Length - 1 ? data : null, Acls.OpenAclUnsafe).ConfigureAwait(false);
            }
            catch (KeeperException e) when (e.Code == ErrorCode.NodeExists)
            {
            }
        }
    }
}
