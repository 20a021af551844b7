namespace ZkCompat.Server.Tests.Sessions;

/// <summary>
/// A clock that moves only when told to. Timestamps count microseconds, so a caller that forgets
/// to divide by TimestampFrequency is caught. Timers fire inside <see cref="Advance"/>.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly DateTimeOffset _utcOrigin = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _micros;

    public ManualTimeProvider(long startMs = 0) => _micros = startMs * 1000;

    public override long TimestampFrequency => 1_000_000;

    public long NowMs
    {
        get
        {
            lock (_gate) return _micros / 1000;
        }
    }

    public override long GetTimestamp()
    {
        lock (_gate) return _micros;
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _utcOrigin.AddTicks(_micros * 10);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public void AdvanceMs(long ms) => Advance(TimeSpan.FromMilliseconds(ms));

    /// <summary>Moves the clock, firing every timer that falls due on the way, in time order.</summary>
    public void Advance(TimeSpan by)
    {
        long target;
        lock (_gate) target = _micros + by.Ticks / 10;
        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.DueMicros <= target).MinBy(t => t.DueMicros);
                if (next is null)
                {
                    _micros = target;
                    return;
                }
                _micros = Math.Max(_micros, next.DueMicros);
                if (next.PeriodMicros > 0) next.DueMicros += next.PeriodMicros;
                else _timers.Remove(next);
            }
            next.Fire();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long DueMicros { get; set; }
        public long PeriodMicros { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                owner._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan) return true;
                DueMicros = owner._micros + dueTime.Ticks / 10;
                PeriodMicros = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks / 10;
                owner._timers.Add(this);
                return true;
            }
        }

        public void Dispose()
        {
            lock (owner._gate) owner._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
