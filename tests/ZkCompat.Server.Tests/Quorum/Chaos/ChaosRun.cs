using System.Diagnostics;
using System.Globalization;
using System.Text;
using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Server.Tests.Quorum.Chaos;

/// <summary>How big a chaos run is.</summary>
/// <param name="Steps">Fault steps in the schedule.</param>
/// <param name="Writers">Concurrent clients.</param>
/// <param name="HoldMs">Range each fault is held for.</param>
internal sealed record ChaosSettings(int Peers, int Seed, int Steps, int Writers, (int Min, int Max) HoldMs)
{
    public static ChaosSettings Default(int peers, int seed) => new(peers, seed, Steps: 8, Writers: 3, HoldMs: (300, 1200));

    public static ChaosSettings Long(int peers, int seed) => new(peers, seed, Steps: 30, Writers: 4, HoldMs: (200, 2000));
}

/// <summary>What a run found: the violations (empty when every invariant held) and how to reproduce it.</summary>
internal sealed record ChaosReport(ChaosSettings Settings, ChaosSchedule Schedule, IReadOnlyList<string> Executed,
    IReadOnlyList<string> Violations, string Summary, string LogFile, TimeSpan Elapsed)
{
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"chaos run {Settings} in {Elapsed.TotalSeconds:F1} s\n");
        text.Append(CultureInfo.InvariantCulture, $"reproduce: dotnet test tests/ZkCompat.Server.Tests --filter \"FullyQualifiedName~EnsembleChaosTests\" with ZKCOMPAT_CHAOS_SEED={Settings.Seed} ZKCOMPAT_CHAOS_PEERS={Settings.Peers} (Replay)\n");
        text.Append(Schedule);
        text.Append("executed:\n");
        foreach (var line in Executed) text.Append("  ").Append(line).Append('\n');
        text.Append(Summary).Append('\n');
        if (Violations.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Violations.Count} VIOLATION(S):\n");
            foreach (var v in Violations.Take(40)) text.Append("  - ").Append(v).Append('\n');
        }
        text.Append("full log: ").Append(LogFile).Append('\n');
        return text.ToString();
    }
}

/// <summary>
/// One chaos run end to end: start the ensemble, let writers write while the schedule injects faults,
/// heal everything, check the healed ensemble still takes writes, stop the writers, then check the
/// invariants: acknowledged writes everywhere (with the acked zxid), nothing never attempted, rejected
/// writes absent, equal trees (digest, zxid, children) on every server, one leader per epoch, and the
/// writers' own per-session checks.
/// </summary>
internal static class ChaosRun
{
    private static readonly TimeSpan StablePatience = TimeSpan.FromSeconds(30);

    public static async Task<ChaosReport> RunAsync(ChaosSettings settings)
    {
        var clock = Stopwatch.StartNew();
        var schedule = ChaosSchedule.Generate(settings.Seed, settings.Peers, settings.Steps, settings.HoldMs);
        var log = new ChaosLog();
        var executed = new List<string>();
        var violations = new List<string>();
        var ledger = new WriteLedger();
        string root = Directory.CreateTempSubdirectory($"zk-chaos-{settings.Peers}-{settings.Seed}-").FullName;
        string summary = "";
        var ensemble = new ChaosEnsemble(settings.Peers, settings.Seed, root, log);
        var writers = Enumerable.Range(1, settings.Writers).Select(i => new ChaosWriter(i, settings.Seed, ensemble, ledger, log)).ToArray();
        using var stopWriting = new CancellationTokenSource();
        Task[] writing = [];
        try
        {
            log.Write("chaos", schedule.ToString());
            ensemble.StartAll();
            if (!await ensemble.WaitStableAsync(StablePatience))
            {
                violations.Add($"the fresh ensemble did not settle within {StablePatience.TotalSeconds} s: {ensemble.Describe()}");
                return await FinishAsync();
            }
            executed.Add($"{Seconds(log)} started: {ensemble.Describe()}");
            writing = writers.Select(w => Task.Run(() => w.RunAsync(stopWriting.Token))).ToArray();

            for (int i = 0; i < schedule.Steps.Count; i++)
            {
                var step = schedule.Steps[i];
                log.Write("chaos", $"step [{i}] {step}");
                string did = await ensemble.ApplyAsync(step);
                executed.Add($"{Seconds(log)} [{i}] {step.Fault}: {did}");
                log.Write("chaos", $"step [{i}]: {did}; {ensemble.Describe()}");
                // The fault holds while the writers keep writing.
                await Task.Delay(step.HoldMs);
            }

            ensemble.HealEverything();
            executed.Add($"{Seconds(log)} healed everything, all peers up");
            if (!await ensemble.WaitStableAsync(StablePatience))
            {
                violations.Add($"after healing, no stable ensemble within {StablePatience.TotalSeconds} s: {ensemble.Describe()}");
                return await FinishAsync();
            }
            executed.Add($"{Seconds(log)} stable: {ensemble.Describe()}");

            // Liveness: the healed ensemble takes writes from every writer.
            foreach (var w in writers) w.Mark();
            using (var progress = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
            {
                while (writers.Any(w => w.AckedSinceMark < 3) && !progress.IsCancellationRequested)
                    await ensemble.NextChangeOrAsync(TimeSpan.FromMilliseconds(100), progress.Token);
            }
            foreach (var w in writers.Where(w => w.AckedSinceMark < 3))
                violations.Add($"writer {w.Id} got only {w.AckedSinceMark} acks in 15 s after healing: {ensemble.Describe()}");

            await stopWriting.CancelAsync();
            await Task.WhenAll(writing).WaitAsync(TimeSpan.FromSeconds(20));
            executed.Add($"{Seconds(log)} writers stopped");

            summary = await ChaosChecker.CheckAsync(ensemble, ledger, violations);
            executed.Add($"{Seconds(log)} checked");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            violations.Add($"the run itself failed: {e}");
        }
        return await FinishAsync();

        async Task<ChaosReport> FinishAsync()
        {
            if (!stopWriting.IsCancellationRequested) await stopWriting.CancelAsync();
            try
            {
                await Task.WhenAll(writing).WaitAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                violations.Add($"a writer failed: {e.Message}");
            }
            await ensemble.DisposeAsync();
            violations.InsertRange(0, ensemble.Violations.Select(v => "peer: " + v));
            violations.AddRange(ledger.Violations.Select(v => "client: " + v));
            foreach (var v in violations) log.Write("chaos", "VIOLATION " + v);
            string logFile = Path.Combine(Path.GetTempPath(), $"zk-chaos-{settings.Peers}p-seed{settings.Seed}.log");
            await File.WriteAllLinesAsync(logFile, log.Lines);
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
            return new ChaosReport(settings, schedule, executed, violations, summary, logFile, clock.Elapsed);
        }
    }

    private static string Seconds(ChaosLog log) => $"{log.Elapsed.TotalSeconds,6:F2}s";
}

/// <summary>The invariants checked once the ensemble is healed, stable and idle.</summary>
internal static class ChaosChecker
{
    private const string Barrier = "/chaos-barrier";

    public static async Task<string> CheckAsync(ChaosEnsemble ensemble, WriteLedger ledger, List<string> violations)
    {
        var sids = ensemble.Sids.ToArray();
        var checkers = new Dictionary<long, ZooKeeperClient>();
        try
        {
            if (!await ensemble.WaitStableAsync(TimeSpan.FromSeconds(30)))
            {
                violations.Add($"not stable before checking: {ensemble.Describe()}");
                return "";
            }
            foreach (long sid in sids) checkers[sid] = await ConnectAsync(ensemble, sid);

            // Sessions the writers left behind must expire (a session leak would never settle); after that
            // nothing but the checkers' own requests makes txns, so the servers can be compared exactly.
            var ours = checkers.Values.Select(c => c.SessionId).ToHashSet();
            var quiet = await PollAsync(() => sids.All(s => ensemble[s]!.Database.SessionsWithTimeouts.Keys.ToHashSet().SetEquals(ours)), TimeSpan.FromSeconds(15));
            if (!quiet)
            {
                foreach (long sid in sids)
                {
                    var left = ensemble[sid]!.Database.SessionsWithTimeouts.Keys.Where(k => !ours.Contains(k)).Select(k => $"0x{k:x}");
                    violations.Add($"s{sid} still tracks sessions nobody uses after 15 s: [{string.Join(", ", left)}]");
                }
            }

            var leader = ensemble.CurrentLeader!;
            await checkers[leader.Options.ServerId].CreateAsync(Barrier, null, Acls.OpenAclUnsafe);
            var children = new Dictionary<long, HashSet<string>>();
            foreach (long sid in sids)
            {
                await checkers[sid].SyncAsync("/");
                if (await checkers[sid].ExistsAsync(Barrier) is null) violations.Add($"s{sid} does not see the barrier after sync");
                children[sid] = (await checkers[sid].GetChildrenAsync("/")).Where(c => c.StartsWith('w')).ToHashSet();
            }

            // Equal trees.
            var trees = sids.ToDictionary(s => s, s => ensemble[s]!.Database.Tree);
            string states = string.Join(", ", sids.Select(s => $"s{s}: zxid 0x{trees[s].LastProcessedZxid:x} digest {trees[s].TreeDigest:x}"));
            if (sids.Select(s => trees[s].LastProcessedZxid).Distinct().Count() != 1)
                violations.Add($"LastProcessedZxid differs: {states}");
            if (sids.Select(s => trees[s].TreeDigest).Distinct().Count() != 1)
                violations.Add($"TreeDigest differs: {states}");
            foreach (long sid in sids)
            {
                long recomputed = trees[sid].ComputeTreeDigest();
                if (recomputed != trees[sid].TreeDigest)
                    violations.Add($"s{sid}'s incremental digest {trees[sid].TreeDigest:x} != recomputed {recomputed:x}");
            }

            // Acked writes everywhere, with the zxid the client was told.
            var entries = ledger.Entries;
            foreach (var e in entries.Where(e => e.Outcome == WriteOutcome.Acked))
            {
                foreach (long sid in sids)
                {
                    var node = trees[sid].GetNode(e.Path);
                    if (node is null) violations.Add($"acked {e.Path} (czxid 0x{e.Czxid:x}, session 0x{e.SessionId:x}) is missing on s{sid}");
                    else if (node.Stat.Czxid != e.Czxid) violations.Add($"acked {e.Path} has czxid 0x{node.Stat.Czxid:x} on s{sid}, the client was told 0x{e.Czxid:x}");
                    if (!children[sid].Contains(e.Path[1..])) violations.Add($"acked {e.Path} is not among the children of / read from s{sid}");
                }
            }

            // Nothing that was never attempted, nothing that was rejected; the same children everywhere.
            foreach (long sid in sids)
            {
                foreach (string child in children[sid])
                {
                    if (!ledger.TryGet("/" + child, out var entry)) violations.Add($"s{sid} has /{child}, which no client ever attempted");
                    else if (entry!.Outcome == WriteOutcome.Rejected) violations.Add($"s{sid} has /{child}, whose create was rejected with {entry.Detail}");
                    else if (entry.Outcome == WriteOutcome.Pending) violations.Add($"s{sid} has /{child}, still pending at the end (harness bug)");
                }
                if (!children[sid].SetEquals(children[sids[0]]))
                    violations.Add($"s{sid}'s children of / differ from s{sids[0]}'s: only on s{sid}: [{string.Join(",", children[sid].Except(children[sids[0]]).Take(10))}], missing: [{string.Join(",", children[sids[0]].Except(children[sid]).Take(10))}]");
            }

            // One leader per epoch, and each epoch led once.
            foreach (var group in ensemble.Leaders.GroupBy(t => t.Epoch))
            {
                var terms = group.ToArray();
                if (terms.Select(t => t.Sid).Distinct().Count() > 1)
                    violations.Add($"epoch {group.Key} had {terms.Length} leaders: {string.Join("; ", terms.Select(t => $"s{t.Sid} at {t.AtSeconds:F2}s"))}");
                else if (terms.Length > 1)
                    violations.Add($"epoch {group.Key} was led {terms.Length} times by s{terms[0].Sid}");
            }

            int unknownPresent = entries.Count(e => e.Outcome == WriteOutcome.Unknown && children[sids[0]].Contains(e.Path[1..]));
            return $"writes: {entries.Count} attempted, {ledger.Count(WriteOutcome.Acked)} acked, " +
                   $"{ledger.Count(WriteOutcome.Unknown)} unknown ({unknownPresent} of them applied), {ledger.Count(WriteOutcome.Rejected)} rejected; " +
                   $"leaders: {string.Join(" ", ensemble.Leaders.Select(t => $"e{t.Epoch}=s{t.Sid}"))}; final {states}";
        }
        finally
        {
            foreach (var c in checkers.Values)
            {
                using var close = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await c.CloseAsync(close.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or KeeperException)
                {
                    c.Abort();
                }
            }
        }
    }

    private static async Task<ZooKeeperClient> ConnectAsync(ChaosEnsemble ensemble, long sid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                return await ZooKeeperClient.ConnectAsync(ensemble.ConnectString(sid), new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(10) });
            }
            catch (KeeperException) when (DateTime.UtcNow < deadline)
            {
                // Not serving yet (a role change right after settling): wait for the next one.
                await ensemble.NextChangeOrAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None);
            }
        }
    }

    /// <summary>Re-checks a condition on the peers' state every tick until it holds; false on timeout.</summary>
    private static async Task<bool> PollAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(ChaosEnsemble.TickTime));
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            await timer.WaitForNextTickAsync();
        }
        return true;
    }
}
