using ZkCompat.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class AutopurgeTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Test]
    public async Task PurgesAtStartThenEveryIntervalOnTheInjectedClock()
    {
        using var dir = new TempDir();
        var options = Persist.Options(dir.Path) with { AutopurgePurgeInterval = 2, AutopurgeSnapRetainCount = 3 };
        var time = new ManualTimeProvider();
        using var db = new ZkDatabase(options, time, NullLoggerFactory.Instance);
        db.LoadDataBase();
        for (int i = 1; i <= 4; i++) File.Copy(Path.Combine(dir.VersionDir, "snapshot.0"), Path.Combine(dir.VersionDir, $"snapshot.{i}"));

        var rounds = new List<TaskCompletionSource>();
        for (int i = 0; i < 3; i++) rounds.Add(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        db.AutopurgeRoundCompleted += round => rounds[(int)round - 1].TrySetResult();
        using var cts = new CancellationTokenSource();
        var loop = db.RunAutopurgeAsync(cts.Token);

        await rounds[0].Task.WaitAsync(Bound);
        Assert.That(SnapshotNames(dir), Is.EqualTo(new[] { "snapshot.2", "snapshot.3", "snapshot.4" }));

        File.Copy(Path.Combine(dir.VersionDir, "snapshot.4"), Path.Combine(dir.VersionDir, "snapshot.5"));
        time.Advance(TimeSpan.FromHours(1));
        Assert.That(rounds[1].Task.IsCompleted, Is.False, "not before the interval");
        time.Advance(TimeSpan.FromHours(1));
        await rounds[1].Task.WaitAsync(Bound);
        Assert.That(SnapshotNames(dir), Is.EqualTo(new[] { "snapshot.3", "snapshot.4", "snapshot.5" }));

        cts.Cancel();
        Assert.That(async () => await loop.WaitAsync(Bound), Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task ZeroIntervalMeansNoPurging()
    {
        using var dir = new TempDir();
        using var db = Persist.Open(Persist.Options(dir.Path) with { AutopurgePurgeInterval = 0 });
        await db.RunAutopurgeAsync(CancellationToken.None).WaitAsync(Bound);
    }

    private static string[] SnapshotNames(TempDir dir) =>
        Directory.GetFiles(dir.VersionDir, "snapshot.*").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray();
}
