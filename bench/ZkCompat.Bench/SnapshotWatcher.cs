namespace ZkCompat.Bench;

/// <summary>
/// Times snapshot writes from the outside by polling the snapshot directory: a snapshot starts
/// when its file (or its temporary file) first appears and ends at the final file's last write.
/// Servers that write in place (Java without syncSnap) and via a temp file + rename both fit.
/// </summary>
public sealed class SnapshotWatcher : IAsyncDisposable
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(300);

    private readonly string _dir;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _preexisting;
    private readonly Dictionary<string, DateTimeOffset> _firstSeen = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public SnapshotWatcher(string dir, TimeProvider time)
    {
        _dir = dir;
        _time = time;
        _preexisting = [.. List().Select(f => f.Snapshot)];
        _loop = Task.Run(PollAsync);
    }

    /// <summary>Snapshots written since the watcher started, with their size and write time.</summary>
    public record Snapshot(string Name, long Bytes, TimeSpan WriteTime);

    /// <summary>
    /// Waits (bounded) until no snapshot is being written — no temporary file and no size change for
    /// <see cref="QuietPeriod"/> — then stops polling and reports.
    /// </summary>
    public async Task<IReadOnlyList<Snapshot>> FinishAsync(TimeSpan maxWait)
    {
        long start = _time.GetTimestamp();
        long quietSince = start;
        long lastTotal = -1;
        while (_time.GetElapsedTime(start) < maxWait)
        {
            var files = List();
            long total = files.Sum(f => f.Bytes);
            long now = _time.GetTimestamp();
            if (files.Any(f => f.Temporary) || total != lastTotal)
            {
                quietSince = now;
                lastTotal = total;
            }
            else if (_time.GetElapsedTime(quietSince, now) >= QuietPeriod)
            {
                break;
            }
            await Task.Delay(PollInterval, _time);
        }
        await _stop.CancelAsync();
        await _loop;
        lock (_firstSeen)
        {
            var done = new List<Snapshot>();
            foreach (var (snapshot, seen) in _firstSeen)
            {
                var file = new FileInfo(Path.Combine(_dir, snapshot));
                if (!file.Exists) continue;
                done.Add(new Snapshot(snapshot, file.Length, file.LastWriteTimeUtc - seen.UtcDateTime));
            }
            return done;
        }
    }

    private async Task PollAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                lock (_firstSeen)
                {
                    foreach (var (snapshot, _, _) in List())
                        if (!_preexisting.Contains(snapshot)) _firstSeen.TryAdd(snapshot, now);
                }
                await Task.Delay(PollInterval, _time, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>"snapshot.&lt;zxid&gt;" for each snapshot file, whether final or ".snapshot.x.tmp" / "snapshot.x.tmp".</summary>
    private List<(string Snapshot, bool Temporary, long Bytes)> List()
    {
        var found = new List<(string, bool, long)>();
        try
        {
            foreach (string path in Directory.EnumerateFiles(_dir))
            {
                string name = Path.GetFileName(path);
                bool temporary = name.EndsWith(".tmp", StringComparison.Ordinal);
                string bare = name.TrimStart('.');
                if (temporary) bare = bare[..^".tmp".Length];
                if (bare.StartsWith("snapshot.", StringComparison.Ordinal)) found.Add((bare, temporary, new FileInfo(path).Length));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // directory not there yet or a file vanished mid-listing: try again next poll
        }
        return found;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
