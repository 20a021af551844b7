using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Bench;

/// <summary>Opening and closing the benchmark's sessions, a bounded number at a time.</summary>
public static class Sessions
{
    private const int ConnectParallelism = 32;

    public static ZooKeeperClientOptions ClientOptions(TimeProvider time, bool keepAlive = true) => new()
    {
        Time = time,
        SessionTimeout = TimeSpan.FromSeconds(30),
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

    public static async Task<ZooKeeperClient[]> OpenAsync(string server, int count, TimeProvider time, CancellationToken ct = default)
    {
        var clients = new ZooKeeperClient[count];
        using var gate = new SemaphoreSlim(ConnectParallelism);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                clients[i] = await ZooKeeperClient.ConnectAsync(server, ClientOptions(time), ct).ConfigureAwait(false);
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
