namespace ZkCompat.TestSupport;

/// <summary>
/// A clock that moves only when a test calls <see cref="Advance"/>. Timestamps count
/// microseconds, so code that forgets to divide by TimestampFrequency is caught. Advancing walks
/// through every timer that falls due on the way, earliest first, firing each on the calling
/// thread with the clock at its due time. Tests wait for code under test to arm its next timer
/// with <see cref="WaitForActiveTimersAsync"/> instead of sleeping.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
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

    /// <summary>Timers currently armed.</summary>
    public int ActiveTimers
    {
        get
        {
            lock (_gate) return _timers.Count;
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

    /// <summary>Completes once at least <paramref name="count"/> timers are armed.</summary>
    public Task WaitForActiveTimersAsync(int count)
    {
        lock (_gate)
        {
            if (_timers.Count >= count) return Task.CompletedTask;
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }

    public void AdvanceMs(long ms) => Advance(TimeSpan.FromMilliseconds(ms));

    /// <summary>Moves the clock, firing every timer that falls due on the way, in time order.</summary>
    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(by));
        long target;
        lock (_gate) target = _micros + by.Ticks / 10;
        while (true)
        {
            ManualTimer? next = null;
            lock (_gate)
            {
                foreach (var timer in _timers)
                {
                    if (timer.DueMicros <= target && (next is null || timer.DueMicros < next.DueMicros)) next = timer;
                }
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

    private void Arm(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        List<TaskCompletionSource>? reached = null;
        lock (_gate)
        {
            _timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan) return;
            timer.DueMicros = _micros + Math.Max(0, dueTime.Ticks / 10);
            timer.PeriodMicros = period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan ? period.Ticks / 10 : 0;
            _timers.Add(timer);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_timers.Count < _waiters[i].Count) continue;
                (reached ??= []).Add(_waiters[i].Reached);
                _waiters.RemoveAt(i);
            }
        }
        reached?.ForEach(r => r.TrySetResult());
    }

    private void Disarm(ManualTimer timer)
    {
        lock (_gate) _timers.Remove(timer);
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long DueMicros { get; set; }
        public long PeriodMicros { get; set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Arm(this, dueTime, period);
            return true;
        }

        public void Dispose() => owner.Disarm(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
