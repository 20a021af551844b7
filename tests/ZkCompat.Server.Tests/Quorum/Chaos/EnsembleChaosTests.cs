using System.Globalization;

namespace ZkCompat.Server.Tests.Quorum.Chaos;

/// <summary>
/// Seeded fault injection on whole ensembles in one process (see <see cref="ChaosRun"/>): each case is a
/// seed and an ensemble size; the seed fixes the fault schedule, so a failing case names what to run
/// again. Thread timing is not seeded, so a replay repeats the schedule, not every interleaving: run a
/// failing seed a few times. On failure the message holds the schedule as planned and as executed,
/// the violations, and the path of the full log.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EnsembleChaosTests
{
    /// <summary>The default run: a handful of short schedules, about a minute in all on 2 cores.</summary>
    private static IEnumerable<TestCaseData> DefaultCases() =>
    [
        new TestCaseData(3, 1),
        new TestCaseData(3, 2),
        new TestCaseData(5, 3),
        new TestCaseData(5, 4),
    ];

    /// <summary>More seeds, longer schedules: <c>--filter TestCategory=ChaosLong</c>.</summary>
    private static IEnumerable<TestCaseData> LongCases()
    {
        for (int seed = 100; seed < 106; seed++)
        {
            yield return new TestCaseData(3, seed);
            yield return new TestCaseData(5, seed + 50);
        }
    }

    /// <summary>
    /// Any seed, from the environment: ZKCOMPAT_CHAOS_SEED (comma-separated seeds), ZKCOMPAT_CHAOS_PEERS
    /// (default 5), ZKCOMPAT_CHAOS_STEPS (default: the profile's), ZKCOMPAT_CHAOS_PROFILE (default or
    /// long). A failing run prints exactly this command. No case without ZKCOMPAT_CHAOS_SEED.
    /// </summary>
    private static IEnumerable<TestCaseData> ReplayCases()
    {
        string? seeds = Environment.GetEnvironmentVariable("ZKCOMPAT_CHAOS_SEED");
        if (string.IsNullOrWhiteSpace(seeds)) yield break;
        int peers = int.Parse(Environment.GetEnvironmentVariable("ZKCOMPAT_CHAOS_PEERS") ?? "5", CultureInfo.InvariantCulture);
        string profile = Environment.GetEnvironmentVariable("ZKCOMPAT_CHAOS_PROFILE") ?? "default";
        string? steps = Environment.GetEnvironmentVariable("ZKCOMPAT_CHAOS_STEPS");
        foreach (var seed in seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var settings = ChaosSettings.ForProfile(profile, peers, int.Parse(seed, CultureInfo.InvariantCulture));
            if (steps is not null) settings = settings with { Steps = int.Parse(steps, CultureInfo.InvariantCulture) };
            yield return new TestCaseData(settings.Profile, settings.Peers, settings.Seed, settings.Steps);
        }
    }

    [TestCaseSource(nameof(DefaultCases))]
    [CancelAfter(120_000)]
    public Task Seeded(int peers, int seed) => RunAsync(ChaosSettings.Default(peers, seed));

    [TestCaseSource(nameof(LongCases))]
    [Category("ChaosLong")]
    [Explicit("long chaos schedules: run with --filter TestCategory=ChaosLong")]
    [CancelAfter(300_000)]
    public Task SeededLong(int peers, int seed) => RunAsync(ChaosSettings.Long(peers, seed));

    [TestCaseSource(nameof(ReplayCases))]
    [CancelAfter(600_000)]
    public Task Replay(string profile, int peers, int seed, int steps) => RunAsync(ChaosSettings.ForProfile(profile, peers, seed) with { Steps = steps });

    private static async Task RunAsync(ChaosSettings settings)
    {
        var report = await ChaosRun.RunAsync(settings);
        string text = report.Describe();
        await TestContext.Out.WriteLineAsync(text);
        Assert.That(report.Violations, Is.Empty, text);
    }
}
