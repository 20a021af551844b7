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
/// <param name="Profile">"default" or "long": the writers and hold times a replay takes.</param>
internal sealed record ChaosSettings(int Peers, int Seed, int Steps, int Writers, (int Min, int Max) HoldMs, string Profile)
{
    public static ChaosSettings Default(int peers, int seed) => new(peers, seed, Steps: 8, Writers: 3, HoldMs: (300, 1200), "default");

    public static ChaosSettings Long(int peers, int seed) => new(peers, seed, Steps: 30, Writers: 4, HoldMs: (200, 2000), "long");

    public static ChaosSettings ForProfile(string profile, int peers, int seed) =>
        profile == "long" ? Long(peers, seed) : Default(peers, seed);

    /// <summary>The command line that runs this schedule again.</summary>
    public string ReplayCommand() =>
        $"ZKCOMPAT_CHAOS_SEED={Seed} ZKCOMPAT_CHAOS_PEERS={Peers} ZKCOMPAT_CHAOS_STEPS={Steps} ZKCOMPAT_CHAOS_PROFILE={Profile} " +
        "dotnet test tests/ZkCompat.Server.Tests --filter FullyQualifiedName~EnsembleChaosTests.Replay";
}

/// <summary>What a run found: the violations (empty when every invariant held) and how to reproduce it.</summary>
internal sealed record ChaosReport(ChaosSettings Settings, ChaosSchedule Schedule, IReadOnlyList<string> Executed,
    IReadOnlyList<string> Violations, string Summary, IReadOnlyDictionary<string, int> PeerErrors, string LogFile, TimeSpan Elapsed)
{
    public string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"chaos run {Settings} in {Elapsed.TotalSeconds:F1} s\n");
        text.Append("replay: ").Append(Settings.ReplayCommand()).Append('\n');
        text.Append(Schedule);
        text.Append("executed:\n");
        foreach (var line in Executed) text.Append("  ").Append(line).Append('\n');
        text.Append(Summary).Append('\n');
        if (PeerErrors.Count > 0)
        {
            text.Append("errors the peers logged:\n");
            foreach (var (message, count) in PeerErrors.OrderByDescending(e => e.Value).Take(10)) text.Append(CultureInfo.InvariantCulture, $"  {count}x {message}\n");
        }
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

    /// <param name="sabotage">For the checker's own tests: damage done to the healed, idle ensemble (or to the ledger) just before the checks.</param>
    public static async Task<ChaosReport> RunAsync(ChaosSettings settings, Action<ChaosEnsemble, WriteLedger>? sabotage = null)
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
            foreach (var w in writers) w.Mark(wanted: 3);
            try
            {
                await Task.WhenAll(writers.Select(w => w.Progress)).WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                foreach (var w in writers.Where(w => !w.Progress.IsCompleted))
                    violations.Add($"writer {w.Id} got only {w.AckedSinceMark} acks in 15 s after healing: {ensemble.Describe()}");
            }

            await stopWriting.CancelAsync();
            await Task.WhenAll(writing).WaitAsync(TimeSpan.FromSeconds(20));
            executed.Add($"{Seconds(log)} writers stopped");

            summary = await ChaosChecker.CheckAsync(ensemble, ledger, violations, sabotage)
                + $"\nclients: {string.Join(", ", writers.Select(w => $"writer {w.Id}: {w.Sessions} session(s), {w.Reconnects} move(s)"))}";
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
            // Unique per run: several test runs may share this machine's temp folder.
            string logFile = Path.Combine(Path.GetTempPath(), $"zk-chaos-{settings.Peers}p-seed{settings.Seed}-{DateTime.UtcNow:HHmmss}-{Environment.ProcessId}.log");
            await File.WriteAllLinesAsync(logFile, log.Lines);
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
            // Numbers (sids, ports, zxids) stripped, so one kind of error is counted once.
            var errors = log.Errors.GroupBy(e => System.Text.RegularExpressions.Regex.Replace(e.Key, "0x[0-9a-f]+|[0-9]+", "N"))
                .ToDictionary(g => g.Key, g => g.Sum(e => e.Value));
            return new ChaosReport(settings, schedule, executed, violations, summary, errors, logFile, clock.Elapsed);
        }
    }

    private static string Seconds(ChaosLog log) => $"{log.Elapsed.TotalSeconds,6:F2}s";
}

/// <summary>The invariants checked once the ensemble is healed, stable and idle.</summary>
internal static class ChaosChecker
{
    private const string Barrier = "/chaos-barrier";
    private const int Attempts = 3;

    /// <summary>What every server holds at one quiet point: all have applied the same barrier and nothing after it.</summary>
    private sealed record QuietPoint(Dictionary<long, HashSet<string>> Children, List<string> Leaks);

    public static async Task<string> CheckAsync(ChaosEnsemble ensemble, WriteLedger ledger, List<string> violations,
        Action<ChaosEnsemble, WriteLedger>? sabotage = null)
    {
        var sids = ensemble.Sids.ToArray();
        QuietPoint? quiet = null;
        var failures = new List<string>();
        // A role change while checking (a starved follower missing syncLimit on a loaded machine) costs the
        // checkers their connections: settle and start over, a few times.
        for (int attempt = 1; attempt <= Attempts && quiet is null; attempt++)
        {
            try
            {
                quiet = await ReachQuietPointAsync(ensemble, ledger, attempt == 1 ? sabotage : null);
            }
            catch (Exception e) when (e is KeeperException or IOException or ObjectDisposedException or TimeoutException or OperationCanceledException)
            {
                failures.Add($"attempt {attempt}: {e.GetType().Name}: {e.Message}; {ensemble.Describe()}");
                ensemble.Log.Write("chaos", $"check attempt {attempt} failed: {e.Message}; {ensemble.Describe()}");
            }
        }
        if (quiet is null)
        {
            violations.Add($"no quiet, stable point to check at after {Attempts} attempts: {string.Join(" | ", failures)}");
            return "";
        }
        violations.AddRange(quiet.Leaks);
        var children = quiet.Children;

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

        // Leaderships start in epoch order: a quorum that accepted a newer epoch never serves an older one.
        var terms = ensemble.Leaders;
        for (int i = 1; i < terms.Count; i++)
            if (terms[i].Epoch <= terms[i - 1].Epoch)
                violations.Add($"s{terms[i].Sid} started leading epoch {terms[i].Epoch} at {terms[i].AtSeconds:F2}s, after s{terms[i - 1].Sid} had led epoch {terms[i - 1].Epoch} at {terms[i - 1].AtSeconds:F2}s");

        // One leader per epoch, and each epoch led once.
        foreach (var group in terms.GroupBy(t => t.Epoch))
        {
            var led = group.ToArray();
            if (led.Select(t => t.Sid).Distinct().Count() > 1)
                violations.Add($"epoch {group.Key} had {led.Length} leaders: {string.Join("; ", led.Select(t => $"s{t.Sid} at {t.AtSeconds:F2}s"))}");
            else if (led.Length > 1)
                violations.Add($"epoch {group.Key} was led {led.Length} times by s{led[0].Sid}");
        }

        int unknownPresent = entries.Count(e => e.Outcome == WriteOutcome.Unknown && children[sids[0]].Contains(e.Path[1..]));
        return $"writes: {entries.Count} attempted, {ledger.Count(WriteOutcome.Acked)} acked, " +
               $"{ledger.Count(WriteOutcome.Unknown)} unknown ({unknownPresent} of them applied), {ledger.Count(WriteOutcome.Rejected)} rejected; " +
               $"leaders: {string.Join(" ", terms.Select(t => $"e{t.Epoch}=s{t.Sid}"))}; " +
               (failures.Count > 0 ? $"check retried {failures.Count}x; " : "") + $"final {states}";
    }

    /// <summary>
    /// Stable ensemble, one checker session per server, the writers' sessions gone, a barrier created
    /// through the leader and synced on every server: from then on nothing changes the trees.
    /// </summary>
    private static async Task<QuietPoint> ReachQuietPointAsync(ChaosEnsemble ensemble, WriteLedger ledger, Action<ChaosEnsemble, WriteLedger>? sabotage)
    {
        var sids = ensemble.Sids.ToArray();
        var checkers = new Dictionary<long, ZooKeeperClient>();
        try
        {
            if (!await ensemble.WaitStableAsync(TimeSpan.FromSeconds(30)))
                throw new TimeoutException("not stable within 30 s");
            foreach (long sid in sids) checkers[sid] = await ConnectAsync(ensemble, sid);

            // Sessions the writers left behind must expire (a leak would never settle); after that only the
            // checkers' own requests make txns, so the servers can be compared exactly.
            var ours = checkers.Values.Select(c => c.SessionId).ToHashSet();
            var leaks = new List<string>();
            bool settled = await PollAsync(() => sids.All(s => ensemble[s] is { } n && n.Database.SessionsWithTimeouts.Keys.ToHashSet().SetEquals(ours)), TimeSpan.FromSeconds(15));
            if (!settled)
            {
                if (!ensemble.IsStable || checkers.Values.Any(c => !c.IsConnected))
                    throw new IOException("the ensemble changed while the writers' sessions expired");
                foreach (long sid in sids)
                {
                    var tracked = ensemble[sid]!.Database.SessionsWithTimeouts.Keys.ToHashSet();
                    leaks.Add($"s{sid}'s sessions did not settle within 15 s: unused [{string.Join(", ", tracked.Except(ours).Select(k => $"0x{k:x}"))}], " +
                              $"checkers' missing [{string.Join(", ", ours.Except(tracked).Select(k => $"0x{k:x}"))}]");
                }
            }

            sabotage?.Invoke(ensemble, ledger);
            var leader = ensemble.CurrentLeader ?? throw new IOException("no leader");
            using var op = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var barrier = checkers[leader.Options.ServerId];
            if (await barrier.ExistsAsync(Barrier, ct: op.Token) is not null) await barrier.DeleteAsync(Barrier, ct: op.Token);
            await barrier.CreateAsync(Barrier, null, Acls.OpenAclUnsafe, ct: op.Token);
            var children = new Dictionary<long, HashSet<string>>();
            foreach (long sid in sids)
            {
                await checkers[sid].SyncAsync("/", op.Token);
                if (await checkers[sid].ExistsAsync(Barrier, ct: op.Token) is null) throw new IOException($"s{sid} does not see the barrier after sync");
                children[sid] = (await checkers[sid].GetChildrenAsync("/", ct: op.Token)).Where(c => c.StartsWith('w')).ToHashSet();
            }
            if (!ensemble.IsStable) throw new IOException("the ensemble changed while reading");
            return new QuietPoint(children, leaks);
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

    /// <summary>
    /// Re-checks a condition on the peers' state every tick until it holds; false on timeout. Used only
    /// where the server raises no event (a session expiring).
    /// </summary>
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
