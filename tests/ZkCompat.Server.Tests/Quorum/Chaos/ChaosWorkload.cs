using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Server.Tests.Quorum.Chaos;

/// <summary>What became of one attempted create.</summary>
internal enum WriteOutcome
{
    /// <summary>Sent, no answer yet.</summary>
    Pending,

    /// <summary>The create succeeded: it must survive every fault.</summary>
    Acked,

    /// <summary>The connection was lost (or the reply never came): it may or may not have happened.</summary>
    Unknown,

    /// <summary>The server answered with an error: it did not happen.</summary>
    Rejected,
}

/// <summary>
/// Every create the clients attempted and what they were told, plus what the clients themselves saw
/// go wrong (zxids going backwards within a session, a session not reading its own write). Thread-safe.
/// </summary>
internal sealed class WriteLedger
{
    public sealed class Entry(string path, int writer, long sessionId)
    {
        public string Path { get; } = path;
        public int Writer { get; } = writer;
        public long SessionId { get; } = sessionId;
        public WriteOutcome Outcome { get; set; } = WriteOutcome.Pending;
        public long Czxid { get; set; }
        public string? Detail { get; set; }
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();

    public IReadOnlyCollection<Entry> Entries => _entries.Values.ToArray();
    public IReadOnlyCollection<string> Violations => _violations.ToArray();

    public Entry Attempt(string path, int writer, long sessionId)
    {
        var entry = new Entry(path, writer, sessionId);
        if (!_entries.TryAdd(path, entry)) Violation($"writer {writer} attempted {path} twice (harness bug)");
        return entry;
    }

    public bool TryGet(string path, out Entry? entry) => _entries.TryGetValue(path, out entry);

    public void Violation(string what) => _violations.Enqueue(what);

    public int Count(WriteOutcome outcome) => _entries.Values.Count(e => e.Outcome == outcome);
}

/// <summary>
/// One client: creates unique sequential keys (/w{writer}-{n}) one at a time through servers chosen at
/// random, resuming its session on another server when the connection is lost (carrying its last seen
/// zxid, as a real client does), and starting a new session when the old one expired. Records every
/// outcome in the <see cref="WriteLedger"/> and checks, as it goes, what must hold for one session:
/// zxids never go backwards, the session reads its own last write after moving servers, an earlier
/// ack at or below the highest zxid the session saw is still visible, and each acknowledged create
/// has a higher zxid than the previous one.
/// </summary>
internal sealed class ChaosWriter(int id, int seed, ChaosEnsemble ensemble, WriteLedger ledger, ChaosLog log)
{
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(4);
    private readonly Random _random = new(HashCode.Combine(seed, id));
    private int _ackedSinceMark;
    private int _wanted = int.MaxValue;
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Id => id;

    /// <summary>Acked creates since <see cref="Mark"/>: proof the healed ensemble makes progress.</summary>
    public int AckedSinceMark => Volatile.Read(ref _ackedSinceMark);

    public int Sessions { get; private set; }
    public int Reconnects { get; private set; }

    /// <summary>Completes once <see cref="AckedSinceMark"/> reaches the count given to <see cref="Mark"/>.</summary>
    public Task Progress => Volatile.Read(ref _progress).Task;

    /// <summary>Starts counting acks from zero; <see cref="Progress"/> completes after <paramref name="wanted"/> of them.</summary>
    public void Mark(int wanted)
    {
        Volatile.Write(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Volatile.Write(ref _wanted, wanted);
        Volatile.Write(ref _ackedSinceMark, 0);
    }

    /// <summary>Writes until <paramref name="stop"/> fires; the write in flight then completes (or times out).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        ZooKeeperClient? client = null;
        long sessionId = 0;
        byte[]? password = null;
        long sessionMaxZxid = 0;
        long lastAckedCzxid = 0;
        string? lastAckedInSession = null;
        int seq = 0;
        var acked = new List<(string Path, long Czxid)>();
        string source = $"client{id}";
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (client is null)
                {
                    long sid = _random.Next(1, ensemble.PeerCount + 1);
                    var options = new ZooKeeperClientOptions
                    {
                        SessionTimeout = TimeSpan.FromMilliseconds(1500),
                        ConnectTimeout = TimeSpan.FromSeconds(1),
                        SessionId = sessionId,
                        Password = password,
                        LastZxidSeen = sessionId != 0 ? sessionMaxZxid : 0,
                    };
                    try
                    {
                        client = await ZooKeeperClient.ConnectAsync(ensemble.ConnectString(sid), options, stop).ConfigureAwait(false);
                    }
                    catch (KeeperException e) when (e.Code == ErrorCode.SessionExpired)
                    {
                        log.Write(source, $"session 0x{sessionId:x} expired (told by s{sid})");
                        sessionId = 0;
                        password = null;
                        sessionMaxZxid = 0;
                        lastAckedInSession = null;
                        continue;
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (Exception e) when (e is KeeperException or IOException or SocketException or OperationCanceledException)
                    {
                        // Nobody there serves right now: wait for a role change somewhere (or a moment), then try another.
                        await ensemble.NextChangeOrAsync(TimeSpan.FromMilliseconds(150), stop).ConfigureAwait(false);
                        continue;
                    }
                    if (sessionId == 0)
                    {
                        sessionId = client.SessionId;
                        password = client.Password;
                        Sessions++;
                        log.Write(source, $"new session 0x{sessionId:x} on s{sid}");
                    }
                    else
                    {
                        Reconnects++;
                        if (client.SessionId != sessionId)
                            ledger.Violation($"{source}: resuming session 0x{sessionId:x} on s{sid} gave session 0x{client.SessionId:x}");
                        log.Write(source, $"resumed session 0x{sessionId:x} on s{sid} (last zxid 0x{sessionMaxZxid:x})");
                        if (lastAckedInSession is not null && !await ReadsOwnWriteAsync(client, lastAckedInSession, sid, source).ConfigureAwait(false))
                        {
                            client = await DropAsync(client).ConfigureAwait(false);
                            continue;
                        }
                    }
                    sessionMaxZxid = CheckZxid(client, sessionMaxZxid, source, "connect");
                }

                // Now and then, read back an earlier ack this session's view must already hold.
                if (acked.Count > 0 && _random.Next(10) == 0)
                {
                    var (oldPath, oldZxid) = acked[_random.Next(acked.Count)];
                    if (oldZxid <= sessionMaxZxid && !await StillSeesAsync(client, oldPath, oldZxid, sessionMaxZxid, source).ConfigureAwait(false))
                    {
                        client = await DropAsync(client).ConfigureAwait(false);
                        continue;
                    }
                    sessionMaxZxid = CheckZxid(client, sessionMaxZxid, source, "read of " + oldPath);
                }

                string path = $"/w{id}-{seq++:D5}";
                var entry = ledger.Attempt(path, id, sessionId);
                using var op = new CancellationTokenSource(OperationTimeout);
                try
                {
                    var (_, stat) = await client.Create2Async(path, Encoding.UTF8.GetBytes(path), Acls.OpenAclUnsafe, ct: op.Token).ConfigureAwait(false);
                    entry.Czxid = stat.Czxid;
                    entry.Outcome = WriteOutcome.Acked;
                    if (Interlocked.Increment(ref _ackedSinceMark) >= Volatile.Read(ref _wanted)) Volatile.Read(ref _progress).TrySetResult();
                    if (stat.Czxid <= lastAckedCzxid)
                        ledger.Violation($"{source}: {path} acked with czxid 0x{stat.Czxid:x}, not after the previous ack's 0x{lastAckedCzxid:x}");
                    lastAckedCzxid = stat.Czxid;
                    lastAckedInSession = path;
                    acked.Add((path, stat.Czxid));
                    sessionMaxZxid = CheckZxid(client, sessionMaxZxid, source, path);
                }
                catch (KeeperException e) when (e.Code == ErrorCode.SessionExpired)
                {
                    entry.Outcome = WriteOutcome.Rejected;
                    entry.Detail = e.Code.ToString();
                    log.Write(source, $"{path}: session 0x{sessionId:x} expired");
                    client = await DropAsync(client).ConfigureAwait(false);
                    sessionId = 0;
                    password = null;
                    sessionMaxZxid = 0;
                    lastAckedInSession = null;
                }
                catch (KeeperException e) when (e.Code == ErrorCode.NodeExists)
                {
                    entry.Outcome = WriteOutcome.Unknown;
                    entry.Detail = "NodeExists";
                    ledger.Violation($"{source}: {path} already existed when first created (applied twice, or a write never sent)");
                }
                catch (KeeperException e) when (e.Code != ErrorCode.ConnectionLoss)
                {
                    entry.Outcome = WriteOutcome.Rejected;
                    entry.Detail = e.Code.ToString();
                    log.Write(source, $"{path}: rejected with {e.Code}");
                    client = await DropAsync(client).ConfigureAwait(false);
                }
                catch (Exception e) when (e is KeeperException or IOException or ObjectDisposedException or OperationCanceledException)
                {
                    entry.Outcome = WriteOutcome.Unknown;
                    entry.Detail = e is OperationCanceledException ? $"no reply within {OperationTimeout.TotalSeconds} s" : e.Message;
                    log.Write(source, $"{path}: outcome unknown ({entry.Detail}; {client.CloseReason})");
                    client = await DropAsync(client).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (client is not null)
            {
                using var close = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await client.CloseAsync(close.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or KeeperException)
                {
                    client.Abort();
                }
            }
        }
    }

    /// <summary>A session that moved servers must still see its last acknowledged write.</summary>
    private async Task<bool> ReadsOwnWriteAsync(ZooKeeperClient client, string path, long sid, string source)
    {
        using var op = new CancellationTokenSource(OperationTimeout);
        try
        {
            if (await client.ExistsAsync(path, ct: op.Token).ConfigureAwait(false) is null)
                ledger.Violation($"{source}: after resuming session 0x{client.SessionId:x} on s{sid} (last zxid seen 0x{client.LastZxid:x}), its own acked {path} is missing");
            return true;
        }
        catch (Exception e) when (e is KeeperException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// A session never sees an older state than it has seen: an acked node created at or before the
    /// highest zxid this session saw is there, on whichever server the session now talks to.
    /// </summary>
    private async Task<bool> StillSeesAsync(ZooKeeperClient client, string path, long czxid, long sessionMax, string source)
    {
        using var op = new CancellationTokenSource(OperationTimeout);
        try
        {
            if (await client.ExistsAsync(path, ct: op.Token).ConfigureAwait(false) is null)
                ledger.Violation($"{source}: session 0x{client.SessionId:x} had seen zxid 0x{sessionMax:x}, yet reads no {path} (acked at 0x{czxid:x})");
            return true;
        }
        catch (Exception e) when (e is KeeperException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    private long CheckZxid(ZooKeeperClient client, long sessionMax, string source, string after)
    {
        long now = client.LastZxid;
        if (now < sessionMax)
            ledger.Violation($"{source}: session 0x{client.SessionId:x} saw zxid 0x{now:x} after 0x{sessionMax:x} ({after})");
        return Math.Max(now, sessionMax);
    }

    private static async Task<ZooKeeperClient?> DropAsync(ZooKeeperClient client)
    {
        // Keep the session: only the connection goes, as when a client's server disappears.
        client.Abort();
        try
        {
            await client.Completion.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The socket is shut down either way; a slow teardown is not what this run checks.
        }
        return null;
    }
}
