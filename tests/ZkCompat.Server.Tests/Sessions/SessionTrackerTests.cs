using ZkCompat.TestSupport;
using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Server.Sessions;

namespace ZkCompat.Server.Tests.Sessions;

public class SessionTrackerTests
{
    private const int TickTime = 2000;

    private sealed class RecordingExpirer : ISessionExpirer
    {
        private readonly Lock _gate = new();
        private readonly List<Session> _expired = [];
        private TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<Session> Expired
        {
            get
            {
                lock (_gate) return [.. _expired];
            }
        }

        public Task FirstExpiry => _first.Task;

        public void Expire(Session session)
        {
            lock (_gate) _expired.Add(session);
            _first.TrySetResult();
        }
    }

    private static (SessionTracker Tracker, ManualTimeProvider Clock, RecordingExpirer Expirer) Create(long startMs = 10_000, long serverId = 1)
    {
        var clock = new ManualTimeProvider(startMs);
        var expirer = new RecordingExpirer();
        return (new SessionTracker(serverId, TickTime, clock, expirer), clock, expirer);
    }

    // id = serverId << 56 | (nowMs << 24) >>> 8: the top byte is the server's, the next 40 bits
    // are the clock's low 40 bits, the low 16 bits count from 0.
    [TestCase(1L, 0x0123456789L, 0x0101234567890000L)]
    [TestCase(1L, 0xAB0123456789L, 0x0101234567890000L)] // clock bits above 40 are dropped
    [TestCase(7L, 0L, 0x0700000000000000L)]
    [TestCase(0xFFL, 0xFFFFFFFFFFL, unchecked((long)0xFFFFFFFFFFFF0000UL))]
    [TestCase(0x80L, 0x10000000000L, unchecked((long)0x8000000000000001UL))] // MIN_VALUE marks containers: skipped
    public void InitializeNextSessionId_uses_javas_layout(long serverId, long nowMs, long expected)
    {
        Assert.That(SessionTracker.InitializeNextSessionId(serverId, nowMs), Is.EqualTo(expected));
    }

    [Test]
    public void CreateSession_starts_from_the_clock_and_counts_up()
    {
        var (tracker, _, _) = Create(startMs: 0x0123456789L, serverId: 3);

        long first = tracker.CreateSession(30000);
        long second = tracker.CreateSession(30000);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(0x0301234567890000L));
            Assert.That(second, Is.EqualTo(first + 1));
            Assert.That(tracker.IsTrackingSession(first), Is.True);
            Assert.That(tracker.GetSession(second)!.Timeout, Is.EqualTo(30000));
        });
    }

    // Java's ExpiryQueue.roundToNextInterval(now + timeout) = ((now + timeout) / tick + 1) * tick.
    [TestCase(10_000, 5_000, 16_000)]
    [TestCase(10_001, 5_000, 16_000)]
    [TestCase(9_999, 5_000, 16_000)]
    [TestCase(10_000, 6_000, 18_000)] // exactly on a boundary: the next one
    [TestCase(10_000, 0, 12_000)]
    [TestCase(123_456, 40_000, 164_000)]
    public void Touch_puts_the_session_in_the_bucket_after_now_plus_timeout(long nowMs, int timeout, long expectedBucket)
    {
        var (tracker, _, _) = Create(startMs: nowMs);
        long id = tracker.CreateSession(timeout);

        Assert.That(tracker.GetExpiryTime(id), Is.EqualTo(expectedBucket));
    }

    [Test]
    public void A_session_expires_when_its_bucket_time_arrives_and_is_then_closing()
    {
        var (tracker, clock, _) = Create(startMs: 10_000);
        long id = tracker.CreateSession(4000); // bucket 16000

        clock.AdvanceMs(5_999);
        Assert.That(tracker.PollExpired(), Is.Empty, "one ms before the bucket");

        clock.AdvanceMs(1);
        var expired = tracker.PollExpired();

        Assert.Multiple(() =>
        {
            Assert.That(expired.Select(s => s.Id), Is.EqualTo(new[] { id }));
            Assert.That(expired[0].IsClosing, Is.True);
            Assert.That(tracker.IsTrackingSession(id), Is.True, "the closeSession txn removes it, not expiry");
            Assert.That(tracker.TouchSession(id, 4000), Is.False, "a closing session is not touched");
            Assert.That(tracker.PollExpired(), Is.Empty, "expired only once");
        });
    }

    [Test]
    public void Touching_postpones_expiry()
    {
        var (tracker, clock, _) = Create(startMs: 10_000);
        long id = tracker.CreateSession(4000); // bucket 16000

        clock.AdvanceMs(5_000); // now 15000
        Assert.That(tracker.TouchSession(id, 4000), Is.True);
        Assert.That(tracker.GetExpiryTime(id), Is.EqualTo(20_000));

        clock.AdvanceMs(1_000); // 16000: the old bucket
        Assert.That(tracker.PollExpired(), Is.Empty);
        clock.AdvanceMs(3_999);
        Assert.That(tracker.PollExpired(), Is.Empty);
        clock.AdvanceMs(1);
        Assert.That(tracker.PollExpired().Select(s => s.Id), Is.EqualTo(new[] { id }));
    }

    [Test]
    public void Sessions_in_several_due_buckets_all_expire_when_the_poller_was_late()
    {
        var (tracker, clock, _) = Create(startMs: 10_000);
        long a = tracker.CreateSession(2000); // 14000
        long b = tracker.CreateSession(6000); // 18000
        long c = tracker.CreateSession(20000); // 32000

        clock.AdvanceMs(10_000);

        Assert.That(tracker.PollExpired().Select(s => s.Id), Is.EquivalentTo(new[] { a, b }));
        Assert.That(tracker.GetSession(c)!.IsClosing, Is.False);
    }

    [Test]
    public void Closing_and_removed_sessions()
    {
        var (tracker, clock, _) = Create(startMs: 10_000);
        long closing = tracker.CreateSession(4000);
        long removed = tracker.CreateSession(4000);

        tracker.SetSessionClosing(closing);
        tracker.RemoveSession(removed);
        clock.AdvanceMs(10_000);

        Assert.Multiple(() =>
        {
            Assert.That(tracker.TouchSession(closing, 4000), Is.False);
            Assert.That(tracker.TouchSession(removed, 4000), Is.False);
            Assert.That(tracker.IsTrackingSession(removed), Is.False);
            Assert.That(tracker.GetSession(removed), Is.Null);
            // A closing session still sits in its bucket, as in Java, and is reported once more.
            Assert.That(tracker.PollExpired().Select(s => s.Id), Is.EqualTo(new[] { closing }));
        });
    }

    [Test]
    public void TrackSession_adds_once_and_refreshes_the_deadline()
    {
        var (tracker, clock, _) = Create(startMs: 10_000);
        const long id = 0x0200000000001234L;

        Assert.That(tracker.TrackSession(id, 4000), Is.True);
        clock.AdvanceMs(3000);
        Assert.That(tracker.TrackSession(id, 8000), Is.False);

        Assert.Multiple(() =>
        {
            Assert.That(tracker.GetExpiryTime(id), Is.EqualTo(22_000));
            Assert.That(tracker.GetSession(id)!.Timeout, Is.EqualTo(4000), "the timeout is fixed when first tracked");
            Assert.That(tracker.GetSessionsWithTimeouts(), Is.EqualTo(new Dictionary<long, int> { [id] = 4000 }));
        });
    }

    [Test]
    public void WaitTime_counts_down_to_the_next_tick_boundary()
    {
        var (tracker, clock, _) = Create(startMs: 10_000);
        Assert.That(tracker.WaitTime, Is.EqualTo(TimeSpan.FromMilliseconds(2000)));

        clock.AdvanceMs(2_500); // 12500: the 12000 bucket is due
        Assert.That(tracker.WaitTime, Is.EqualTo(TimeSpan.Zero));

        tracker.PollExpired();
        Assert.That(tracker.WaitTime, Is.EqualTo(TimeSpan.FromMilliseconds(1500)));
    }

    [Test]
    public void CheckSession_sets_the_first_owner_and_rejects_others()
    {
        var (tracker, _, _) = Create();
        long id = tracker.CreateSession(4000);
        object first = new(), second = new();

        tracker.CheckSession(id, first);
        tracker.CheckSession(id, first);
        var moved = Assert.Throws<KeeperException>(() => tracker.CheckSession(id, second));
        Assert.That(moved!.Code, Is.EqualTo(ErrorCode.SessionMoved));

        tracker.SetOwner(id, second);
        tracker.CheckSession(id, second);
        Assert.That(Assert.Throws<KeeperException>(() => tracker.CheckSession(id, first))!.Code, Is.EqualTo(ErrorCode.SessionMoved));
    }

    [Test]
    public void CheckSession_and_SetOwner_report_unknown_and_closing_sessions_as_expired()
    {
        var (tracker, _, _) = Create();
        long closing = tracker.CreateSession(4000);
        tracker.SetSessionClosing(closing);
        const long unknown = 0x0100000000000999L;

        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<KeeperException>(() => tracker.CheckSession(unknown, null))!.Code, Is.EqualTo(ErrorCode.SessionExpired));
            Assert.That(Assert.Throws<KeeperException>(() => tracker.CheckSession(closing, null))!.Code, Is.EqualTo(ErrorCode.SessionExpired));
            Assert.That(Assert.Throws<KeeperException>(() => tracker.SetOwner(unknown, null))!.Code, Is.EqualTo(ErrorCode.SessionExpired));
            Assert.That(Assert.Throws<KeeperException>(() => tracker.SetOwner(closing, null))!.Code, Is.EqualTo(ErrorCode.SessionExpired));
        });
    }

    [Test]
    public async Task RunAsync_hands_expired_sessions_to_the_expirer()
    {
        var (tracker, clock, expirer) = Create(startMs: 10_000);
        long id = tracker.CreateSession(4000); // bucket 16000
        using var cts = new CancellationTokenSource();
        var loop = tracker.RunAsync(cts.Token);

        // Whether the loop's timer callbacks run inline or on the pool, it catches up with the clock.
        clock.AdvanceMs(6_000);
        await expirer.FirstExpiry.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(expirer.Expired.Select(s => s.Id), Is.EqualTo(new[] { id }));
        Assert.That(expirer.Expired[0].IsClosing, Is.True);

        await cts.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
