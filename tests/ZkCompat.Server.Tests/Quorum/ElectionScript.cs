using System.Globalization;
using ZkCompat.Server.Quorum.Election;

namespace ZkCompat.Server.Tests.Quorum;

/// <summary>
/// Runs a readable script against one <see cref="FastLeaderElection"/>. The first line sets it up, then each
/// action is followed by everything it must produce — nothing more, nothing less:
/// <code>
/// me 1 of 3                                    (sid 1 in voters 1..3; "of 3+1" adds observer 4; "observer" makes me one)
/// start 0x100000002 1                          (lastLoggedZxid, currentEpoch)
/// recv 2 LOOKING 2 0x100000005 1 1             (from, state, leader, zxid, round, peerEpoch)
/// tick 20                                      (ticks of 10 ms)
///   send 2,3 LOOKING 2 0x100000005 1 1         (to, state, leader, zxid, round, peerEpoch)
///   result FOLLOWING 2 1                       (state, leader, round)
///   expect state=LOOKING round=1 proposal=2 finalizing=no
/// </code>
/// Numbers may be decimal, 0x-hex or "min" (long.MinValue).
/// </summary>
internal static class ElectionScript
{
    public static void Run(params string[] script)
    {
        var lines = script.Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var fle = Setup(lines[0]);
        int i = 1;
        while (i < lines.Count)
        {
            string action = lines[i++];
            var produced = Perform(fle, action);
            var expected = new List<string>();
            while (i < lines.Count && IsExpectation(lines[i]))
            {
                string line = lines[i++];
                if (line.StartsWith("expect ", StringComparison.Ordinal)) CheckState(fle, action, line);
                else expected.AddRange(ExpandSends(line));
            }
            Assert.That(produced, Is.EqualTo(expected),
                $"after '{action}':\n  produced: {string.Join("\n            ", produced)}\n  expected: {string.Join("\n            ", expected)}");
        }
    }

    private static bool IsExpectation(string line) =>
        line.StartsWith("send ", StringComparison.Ordinal) || line.StartsWith("result ", StringComparison.Ordinal)
        || line.StartsWith("expect ", StringComparison.Ordinal);

    private static FastLeaderElection Setup(string line)
    {
        // me <sid> of <voters>[+<observers>] [observer]
        var w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(w[0], Is.EqualTo("me"), "script must start with 'me <sid> of <n>'");
        var sizes = w[3].Split('+');
        var qv = Ensembles.Of(int.Parse(sizes[0], CultureInfo.InvariantCulture), sizes.Length > 1 ? int.Parse(sizes[1], CultureInfo.InvariantCulture) : 0);
        return new FastLeaderElection(Num(w[1]), qv, participant: !(w.Length > 4 && w[4] == "observer"));
    }

    private static List<string> Perform(FastLeaderElection fle, string action)
    {
        var w = action.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var outputs = new List<ElectionOutput>();
        switch (w[0])
        {
            case "start":
                outputs.Add(fle.Start(Num(w[1]), Num(w[2])));
                break;
            case "recv":
                var n = new Notification(Enum.Parse<ServerState>(w[2], ignoreCase: true), Num(w[3]), Num(w[4]), Num(w[5]), Num(w[6]), 2, fle.QuorumVerifier.ToString());
                outputs.Add(fle.Step(Num(w[1]), n));
                break;
            case "tick":
                for (long t = 0; t < Num(w[1]); t++) outputs.Add(fle.Tick());
                break;
            default:
                Assert.Fail($"unknown action '{action}'");
                break;
        }
        var produced = new List<string>();
        foreach (var o in outputs)
        {
            foreach (var m in o.Messages)
            {
                Assert.That(m.Message.ConfigText, Is.EqualTo(fle.QuorumVerifier.ToString()), "every notification carries our config");
                produced.Add(Format(m));
            }
            if (o.Result is { } r)
                produced.Add($"result {r.State.ToString().ToUpperInvariant()} {r.LeaderSid} {r.ElectionEpoch}");
        }
        return produced;
    }

    private static IEnumerable<string> ExpandSends(string line)
    {
        var w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (w[0] == "result")
            return [$"result {w[1].ToUpperInvariant()} {Num(w[2])} {Num(w[3])}"];
        var state = Enum.Parse<ServerState>(w[2], ignoreCase: true);
        return w[1].Split(',').Select(to => Format(new OutgoingNotification(Num(to),
            new Notification(state, Num(w[3]), Num(w[4]), Num(w[5]), Num(w[6])))));
    }

    private static string Format(OutgoingNotification m) =>
        $"send {m.ToSid} {m.Message.State.ToString().ToUpperInvariant()} {m.Message.Leader} 0x{m.Message.Zxid:x} {m.Message.ElectionEpoch} {m.Message.PeerEpoch}";

    private static void CheckState(FastLeaderElection fle, string action, string line)
    {
        foreach (var pair in line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var kv = pair.Split('=');
            string actual = kv[0] switch
            {
                "state" => fle.State.ToString().ToUpperInvariant(),
                "round" => fle.LogicalClock.ToString(CultureInfo.InvariantCulture),
                "proposal" => fle.Proposal.Id.ToString(CultureInfo.InvariantCulture),
                "finalizing" => fle.IsFinalizing ? "yes" : "no",
                "timeout" => ((long)fle.NotificationTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                _ => throw new ArgumentException($"unknown expectation {kv[0]}"),
            };
            string expected = kv[0] == "state" ? kv[1].ToUpperInvariant() : kv[1];
            Assert.That(actual, Is.EqualTo(expected), $"{kv[0]} after '{action}'");
        }
    }

    private static long Num(string s) =>
        s == "min" ? long.MinValue
        : s.StartsWith("0x", StringComparison.Ordinal) ? long.Parse(s[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
        : long.Parse(s, CultureInfo.InvariantCulture);
}
