namespace ZkCompat.Server.Sessions;

/// <summary>
/// Deadlines rounded up to whole intervals, so that one wake-up per interval expires a whole
/// bucket (Java's <c>ExpiryQueue</c>). Times are plain milliseconds passed in by the caller;
/// not thread-safe, the owner locks.
/// </summary>
internal sealed class ExpiryQueue<T> where T : notnull
{
    private readonly Dictionary<T, long> _expiryTimes = [];
    private readonly SortedDictionary<long, HashSet<T>> _buckets = [];
    private readonly int _interval;
    private long _nextExpirationTime;

    public ExpiryQueue(int interval, long now)
    {
        if (interval <= 0) throw new ArgumentOutOfRangeException(nameof(interval), "the expiry interval (tickTime) must be positive");
        _interval = interval;
        _nextExpirationTime = RoundToNextInterval(now);
    }

    /// <summary>The first interval boundary strictly after <paramref name="time"/>.</summary>
    public long RoundToNextInterval(long time) => (time / _interval + 1) * _interval;

    /// <summary>Moves (or adds) an element to the bucket of now + timeout; returns that bucket's time.</summary>
    public long Update(T element, int timeout, long now)
    {
        long expiry = RoundToNextInterval(now + timeout);
        if (_expiryTimes.TryGetValue(element, out long previous))
        {
            if (previous == expiry) return expiry;
            RemoveFromBucket(element, previous);
        }
        if (!_buckets.TryGetValue(expiry, out var bucket)) _buckets[expiry] = bucket = [];
        bucket.Add(element);
        _expiryTimes[element] = expiry;
        return expiry;
    }

    public bool Remove(T element)
    {
        if (!_expiryTimes.Remove(element, out long expiry)) return false;
        RemoveFromBucket(element, expiry);
        return true;
    }

    public long? GetExpiry(T element) => _expiryTimes.TryGetValue(element, out long t) ? t : null;

    /// <summary>Milliseconds until the next bucket is due; 0 when one already is.</summary>
    public long WaitTime(long now) => now < _nextExpirationTime ? _nextExpirationTime - now : 0;

    /// <summary>
    /// Takes every bucket that is due. Java takes one bucket per call and is called again at once;
    /// draining them together is the same result when the caller has fallen behind.
    /// </summary>
    public List<T> Poll(long now)
    {
        var expired = new List<T>();
        if (now < _nextExpirationTime) return expired;
        while (_buckets.Count > 0)
        {
            var (time, bucket) = _buckets.First();
            if (time > now) break;
            _buckets.Remove(time);
            foreach (var element in bucket)
            {
                _expiryTimes.Remove(element);
                expired.Add(element);
            }
        }
        _nextExpirationTime = RoundToNextInterval(now);
        return expired;
    }

    private void RemoveFromBucket(T element, long expiry)
    {
        if (!_buckets.TryGetValue(expiry, out var bucket)) return;
        bucket.Remove(element);
        if (bucket.Count == 0) _buckets.Remove(expiry);
    }
}
