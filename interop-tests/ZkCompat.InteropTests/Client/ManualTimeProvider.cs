namespace ZkCompat.InteropTests.Client;

/// <summary>
/// A clock that only moves when a test calls <see cref="Advance"/>; due timers fire on the calling
/// thread. Tests wait for the client to arm its next timer with
/// <see cref="WaitForActiveTimersAsync"/> instead of sleeping.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Origin = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private readonly List<Timer> _active = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private long _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate) return _now;
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return Origin.AddTicks(_now);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    public int ActiveTimers
    {
        get
        {
            lock (_gate) return _active.Count;
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> timers are armed.</summary>
    public Task WaitForActiveTimersAsync(int count)
    {
        lock (_gate)
        {
            if (_active.Count >= count) return Task.CompletedTask;
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }

    /// <summary>
    /// Jumps the clock forward in one step (as after a pause), then fires every timer now due,
    /// earliest first; each callback sees the new time.
    /// </summary>
    public void Advance(TimeSpan by)
    {
        if (by < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(by));
        lock (_gate) _now += by.Ticks;
        while (true)
        {
            Timer? next = null;
            lock (_gate)
            {
                foreach (var timer in _active)
                {
                    if (timer.Due <= _now && (next is null || timer.Due < next.Due)) next = timer;
                }
                if (next is null) return;
                if (next.Period > 0) next.Due += next.Period;
                else _active.Remove(next);
            }
            next.Fire();
        }
    }

    private void Arm(Timer timer, TimeSpan dueTime, TimeSpan period)
    {
        List<TaskCompletionSource>? reached = null;
        lock (_gate)
        {
            _active.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan) return;
            timer.Due = _now + Math.Max(0, dueTime.Ticks);
            timer.Period = period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan ? period.Ticks : 0;
            _active.Add(timer);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_active.Count < _waiters[i].Count) continue;
                (reached ??= []).Add(_waiters[i].Reached);
                _waiters.RemoveAt(i);
            }
        }
        reached?.ForEach(r => r.TrySetResult());
    }

    private void Disarm(Timer timer)
    {
        lock (_gate) _active.Remove(timer);
    }

    private sealed class Timer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long Due { get; set; }
        public long Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Arm(this, dueTime, period);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => owner.Disarm(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
