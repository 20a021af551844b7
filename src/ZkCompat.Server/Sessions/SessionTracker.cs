using ZkCompat.Protocol;

namespace ZkCompat.Server.Sessions;

/// <summary>
/// Live sessions, their expiry buckets and owners (Java's <c>SessionTrackerImpl</c>). Every client
/// packet touches its session, moving it to the bucket of now + timeout rounded up to a tick; the
/// run loop wakes once per tick and hands each session of a due bucket to the expirer.
/// "Now" is the TimeProvider's monotonic clock in milliseconds.
/// </summary>
public sealed class SessionTracker
{
    /// <summary>ZooKeeperServer.superSecret: mixed into the password seed.</summary>
    private const long SuperSecret = 0xB3415C00L;

    private const int PasswordLength = 16;

    private readonly Lock _sync = new();
    private readonly Dictionary<long, Session> _sessions = [];
    private readonly ExpiryQueue<Session> _expiryQueue;
    private readonly TimeProvider _time;
    private readonly ISessionExpirer _expirer;
    private long _nextSessionId;

    public SessionTracker(long serverId, int tickTime, TimeProvider time, ISessionExpirer expirer)
    {
        _time = time;
        _expirer = expirer;
        TickTime = tickTime;
        _expiryQueue = new ExpiryQueue<Session>(tickTime, NowMs());
        _nextSessionId = InitializeNextSessionId(serverId, NowMs());
    }

    public int TickTime { get; }

    /// <summary>
    /// The first session id: <c>[8 bits serverId][40 low bits of now ms][16-bit counter = 0]</c>.
    /// The unsigned shift keeps the top byte the server's alone; 0x8000000000000000 marks containers
    /// in ephemeralOwner, so that one value is skipped.
    /// </summary>
    public static long InitializeNextSessionId(long serverId, long nowMs)
    {
        long id = (long)((ulong)(nowMs << 24) >> 8) | (serverId << 56);
        return id == long.MinValue ? id + 1 : id;
    }

    /// <summary>A new session with the next id, tracked and touched.</summary>
    public long CreateSession(int timeout)
    {
        long id = Interlocked.Increment(ref _nextSessionId) - 1;
        TrackSession(id, timeout);
        return id;
    }

    /// <summary>
    /// Adds a session known from elsewhere (a createSession txn, a snapshot, a learner); false when it
    /// was already tracked. Either way its deadline is refreshed, as in Java.
    /// </summary>
    public bool TrackSession(long id, int timeout)
    {
        lock (_sync)
        {
            bool added = false;
            if (!_sessions.TryGetValue(id, out var session))
            {
                _sessions[id] = session = new Session(id, timeout);
                added = true;
            }
            UpdateExpiry(session, timeout);
            return added;
        }
    }

    /// <summary>Refreshes the deadline; false when the session is unknown or already closing.</summary>
    public bool TouchSession(long id, int timeout)
    {
        lock (_sync)
        {
            if (!_sessions.TryGetValue(id, out var session) || session.IsClosing) return false;
            UpdateExpiry(session, timeout);
            return true;
        }
    }

    public void SetSessionClosing(long id)
    {
        lock (_sync)
        {
            if (_sessions.TryGetValue(id, out var session)) session.IsClosing = true;
        }
    }

    public void RemoveSession(long id)
    {
        lock (_sync)
        {
            if (_sessions.Remove(id, out var session)) _expiryQueue.Remove(session);
        }
    }

    public bool IsTrackingSession(long id)
    {
        lock (_sync) return _sessions.ContainsKey(id);
    }

    public Session? GetSession(long id)
    {
        lock (_sync) return _sessions.GetValueOrDefault(id);
    }

    /// <summary>
    /// Checks a request's session: SESSIONEXPIRED when unknown or closing (Java's checkGlobalSession),
    /// SESSIONMOVED when another owner holds it. The first owner to ask becomes the owner.
    /// </summary>
    public void CheckSession(long id, object? owner)
    {
        lock (_sync)
        {
            if (!_sessions.TryGetValue(id, out var session) || session.IsClosing)
                throw new KeeperException(ErrorCode.SessionExpired);
            if (session.Owner is null) session.Owner = owner;
            else if (!Equals(session.Owner, owner)) throw new KeeperException(ErrorCode.SessionMoved);
        }
    }

    /// <summary>Hands the session to a new owner (a reconnect); SESSIONEXPIRED when unknown or closing.</summary>
    public void SetOwner(long id, object? owner)
    {
        lock (_sync)
        {
            if (!_sessions.TryGetValue(id, out var session) || session.IsClosing)
                throw new KeeperException(ErrorCode.SessionExpired);
            session.Owner = owner;
        }
    }

    /// <summary>Sessions whose bucket is due, now marked closing; the caller expires them.</summary>
    public IReadOnlyList<Session> PollExpired()
    {
        lock (_sync)
        {
            var expired = _expiryQueue.Poll(NowMs());
            foreach (var session in expired) session.IsClosing = true;
            return expired;
        }
    }

    /// <summary>How long until the next bucket is due (zero when one is).</summary>
    public TimeSpan WaitTime
    {
        get
        {
            lock (_sync) return TimeSpan.FromMilliseconds(_expiryQueue.WaitTime(NowMs()));
        }
    }

    /// <summary>The bucket time (tracker ms) a session is due at, or null when it is in none.</summary>
    public long? GetExpiryTime(long id)
    {
        lock (_sync) return _sessions.TryGetValue(id, out var s) ? _expiryQueue.GetExpiry(s) : null;
    }

    /// <summary>Expires sessions until cancelled: sleep until the next bucket, then expire what is due.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var wait = WaitTime;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                continue;
            }
            foreach (var session in PollExpired()) _expirer.Expire(session);
        }
    }

    /// <summary>Every tracked session and its timeout: what a snapshot records.</summary>
    public IReadOnlyDictionary<long, int> GetSessionsWithTimeouts()
    {
        lock (_sync) return _sessions.ToDictionary(kv => kv.Key, kv => kv.Value.Timeout);
    }

    /// <summary>Java's generatePasswd: <c>new Random(sessionId ^ 0xB3415C00L).nextBytes(new byte[16])</c>.</summary>
    public static byte[] GeneratePassword(long sessionId)
    {
        var password = new byte[PasswordLength];
        new JavaRandom(sessionId ^ SuperSecret).NextBytes(password);
        return password;
    }

    /// <summary>A resumed session's password must be the generated one; session id 0 never passes.</summary>
    public static bool CheckPassword(long sessionId, byte[]? passwd) =>
        sessionId != 0 && passwd is not null && passwd.AsSpan().SequenceEqual(GeneratePassword(sessionId));

    private void UpdateExpiry(Session session, int timeout) => _expiryQueue.Update(session, timeout, NowMs());

    // Monotonic ms, computed without overflowing ticks × 1000 on a long-running host.
    private long NowMs()
    {
        long ticks = _time.GetTimestamp();
        long frequency = _time.TimestampFrequency;
        return ticks / frequency * 1000 + ticks % frequency * 1000 / frequency;
    }
}
