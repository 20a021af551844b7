using System.Globalization;
using System.Text;

namespace ZkCompat.Server.Tests.Quorum.Chaos;

/// <summary>The faults a chaos schedule injects.</summary>
internal enum ChaosFault
{
    /// <summary>A peer that is up crashes (network gone, process stopped, dataDir kept).</summary>
    Crash,

    /// <summary>A crashed peer starts again on its dataDir.</summary>
    Restart,

    /// <summary>A peer crashes and comes straight back (a bounce).</summary>
    Bounce,

    /// <summary>Whoever leads now crashes.</summary>
    CrashLeader,

    /// <summary>A random minority (1 … n/2 peers) is cut off from the rest (replacing any earlier split).</summary>
    PartitionMinority,

    /// <summary>The leader and up to n/2 − 1 others are cut off from the majority (replacing any earlier split).</summary>
    IsolateLeader,

    /// <summary>Every partition heals and links behave again (crashed peers stay down).</summary>
    Heal,

    /// <summary>A share of new connections between peers is refused.</summary>
    FlakyConnects,

    /// <summary>Everything one peer writes to other peers is held back for a while.</summary>
    SlowPeer,
}

/// <summary>
/// One step: a fault, held for <see cref="HoldMs"/> while the clients keep writing. Which peer a step
/// hits is drawn at generation time as <see cref="Pick"/> and resolved against the ensemble at run
/// time (the n-th candidate, in sid order), so a schedule is a pure function of the seed.
/// </summary>
internal sealed record ChaosStep(ChaosFault Fault, int Pick, int Size, int HoldMs, double Rate = 0, int DelayMs = 0)
{
    public override string ToString()
    {
        string what = Fault switch
        {
            ChaosFault.PartitionMinority => $"PartitionMinority(size {Size}, pick {Pick})",
            ChaosFault.IsolateLeader => $"IsolateLeader(size {Size}, pick {Pick})",
            ChaosFault.FlakyConnects => $"FlakyConnects(drop {Rate.ToString("F2", CultureInfo.InvariantCulture)})",
            ChaosFault.SlowPeer => $"SlowPeer(pick {Pick}, up to {DelayMs} ms per write)",
            ChaosFault.Heal or ChaosFault.CrashLeader => Fault.ToString(),
            _ => $"{Fault}(pick {Pick})",
        };
        return $"{what}, hold {HoldMs} ms";
    }
}

/// <summary>A seeded list of fault steps for an ensemble of <see cref="Peers"/> peers.</summary>
internal sealed record ChaosSchedule(int Seed, int Peers, IReadOnlyList<ChaosStep> Steps)
{
    private static readonly (ChaosFault Fault, int Weight)[] Weights =
    [
        (ChaosFault.Crash, 14),
        (ChaosFault.Restart, 14),
        (ChaosFault.Bounce, 8),
        (ChaosFault.CrashLeader, 12),
        (ChaosFault.PartitionMinority, 12),
        (ChaosFault.IsolateLeader, 12),
        (ChaosFault.Heal, 14),
        (ChaosFault.FlakyConnects, 6),
        (ChaosFault.SlowPeer, 6),
    ];

    /// <param name="holdRangeMs">How long each fault is held, drawn uniformly in whole tenths of a second.</param>
    public static ChaosSchedule Generate(int seed, int peers, int steps, (int Min, int Max) holdRangeMs)
    {
        var random = new Random(seed);
        int total = Weights.Sum(w => w.Weight);
        var list = new List<ChaosStep>(steps);
        for (int i = 0; i < steps; i++)
        {
            int roll = random.Next(total);
            var fault = Weights.First(w => (roll -= w.Weight) < 0).Fault;
            int hold = random.Next(holdRangeMs.Min / 100, holdRangeMs.Max / 100 + 1) * 100;
            int pick = random.Next(1000);
            int size = random.Next(1, peers / 2 + 1);
            list.Add(fault switch
            {
                ChaosFault.FlakyConnects => new ChaosStep(fault, pick, 0, hold, Rate: 0.2 + random.Next(4) * 0.1),
                ChaosFault.SlowPeer => new ChaosStep(fault, pick, 0, hold, DelayMs: 20 + random.Next(8) * 40),
                _ => new ChaosStep(fault, pick, size, hold),
            });
        }
        return new ChaosSchedule(seed, peers, list);
    }

    public override string ToString()
    {
        var text = new StringBuilder($"seed {Seed}, {Peers} peers, {Steps.Count} steps:\n");
        for (int i = 0; i < Steps.Count; i++) text.Append(CultureInfo.InvariantCulture, $"  [{i}] {Steps[i]}\n");
        return text.ToString();
    }
}
