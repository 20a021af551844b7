using System.Diagnostics;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>
/// (d) Three participants and one observer. The observer serves reads and forwards writes; with one
/// participant killed the other two still make a quorum (and the observer follows their leader); with
/// two killed no write succeeds although the observer is up, because an observer never votes or acks.
/// When a participant comes back, the quorum and the observer serve again.
/// </summary>
[TestFixture(ServerKind.Java, Category = "Interop,EnsembleJava")]
[TestFixture(ServerKind.ZkCompat, Category = "Ensemble")]
[CancelAfter(TestTimeoutMs)]
public sealed class ObserverTests(ServerKind kind) : EnsembleTestBase(kind)
{
    /// <summary>How long a write may wait for a commit that must not come (the leader gives up after syncLimit ticks).</summary>
    private static readonly TimeSpan NoQuorumWriteTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long the survivors may take to stop serving once the quorum is gone.</summary>
    private static readonly TimeSpan StopServingTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task Observer_serves_and_forwards_but_never_counts_for_the_quorum()
    {
        var ensemble = await StartEnsembleAsync(3, observers: 1);
        var observer = ensemble.Nodes.Single(n => n.IsObserver);
        var quorum = await ensemble.WaitForQuorumAsync(cancellationToken: TestCancellation);
        Assert.That(quorum.Observers, Is.EqualTo(new[] { observer }), "srvr on the observer says Mode: observer");
        Assert.That(quorum.Followers, Has.Count.EqualTo(2));
        // Judged at the end, so that a four-letter-word difference does not hide how the scenario goes.
        var roleAnswers = await RoleAnswers.ReadAsync(ensemble, TestCancellation);

        string root = "/observer-" + Guid.NewGuid().ToString("N")[..8];
        // Reads: a write through a participant is read on the observer after sync.
        var participantClient = await ConnectAsync(quorum.Followers[0].ClientAddress);
        await participantClient.CreateAsync(root, Bytes("via participant"), Open, ct: TestCancellation);
        var observerClient = await ConnectAsync(observer.ClientAddress);
        await observerClient.SyncAsync(root, TestCancellation);
        Assert.That(Text((await observerClient.GetDataAsync(root, ct: TestCancellation)).Data), Is.EqualTo("via participant"));

        // Writes: the observer forwards them to the leader.
        await observerClient.CreateAsync(root + "/via-observer", Bytes("forwarded"), Open, ct: TestCancellation);
        await participantClient.SyncAsync(root, TestCancellation);
        Assert.That(Text((await participantClient.GetDataAsync(root + "/via-observer", ct: TestCancellation)).Data), Is.EqualTo("forwarded"));

        // One participant down (the leader, so the other two must elect without the observer's vote).
        var firstLeader = quorum.Leader;
        await ensemble.KillAsync(firstLeader.ServerId);
        quorum = await ensemble.WaitForQuorumAsync(cancellationToken: TestCancellation);
        Assert.That(quorum.Leader.IsObserver, Is.False, "an observer never leads");
        Assert.That(quorum.Observers, Is.EqualTo(new[] { observer }), "the observer follows the new leader");
        var afterOne = await ConnectAsync(observer.ClientAddress);
        await afterOne.CreateAsync(root + "/after-one-down", Bytes("two of three"), Open, ct: TestCancellation);
        await afterOne.SyncAsync(root, TestCancellation);
        Assert.That(await afterOne.GetChildrenAsync(root, ct: TestCancellation), Is.EquivalentTo(new[] { "via-observer", "after-one-down" }));
        await afterOne.CloseAsync(TestCancellation);

        // Two participants down: one voter of three is no quorum, observer or not.
        var lastFollower = quorum.Followers.Single();
        var lastParticipant = quorum.Leader;
        var clientOnObserver = await ConnectAsync(observer.ClientAddress);
        await ensemble.KillAsync(lastFollower.ServerId);
        await Progress($"killed {firstLeader} and {lastFollower}; {lastParticipant} and {observer} remain");

        ErrorCode? outcome = await WriteOutcomeAsync(clientOnObserver, root + "/without-quorum");
        Assert.That(outcome, Is.Not.EqualTo(ErrorCode.Ok), "a write with one voter of three up must not be acknowledged");
        await Progress($"write without a quorum: {outcome?.ToString() ?? $"no reply within {NoQuorumWriteTimeout.TotalSeconds:F0}s"}");

        await WaitUntilNotServingAsync(ensemble, [lastParticipant, observer]);
        Assert.That(observer.Process.HasExited, Is.False, "the observer process is still up");
        Assert.That(lastParticipant.Process.HasExited, Is.False, "the last participant process is still up");
        foreach (var node in new[] { lastParticipant, observer })
        {
            var refused = await ErrorOfAsync(async () =>
            {
                await using var client = await ZooKeeperClient.ConnectAsync(node.ClientAddress, ct: TestCancellation);
                await client.CreateAsync(root + "/refused", null, Open, ct: TestCancellation);
            });
            Assert.That(refused, Is.EqualTo(ErrorCode.ConnectionLoss), $"{node} takes no session without a quorum");
        }

        // A participant back: two voters again; the observer serves again and sees every acknowledged write.
        await ensemble.RestartAsync(lastFollower.ServerId, cancellationToken: TestCancellation);
        quorum = await ensemble.WaitForQuorumAsync(cancellationToken: TestCancellation);
        Assert.That(quorum.Observers, Is.EqualTo(new[] { observer }));
        var again = await ConnectAsync(observer.ClientAddress);
        await again.CreateAsync(root + "/after-restart", null, Open, ct: TestCancellation);
        await again.SyncAsync(root, TestCancellation);
        Assert.That(await again.GetChildrenAsync(root, ct: TestCancellation), Is.SupersetOf(new[] { "via-observer", "after-one-down", "after-restart" }));

        // srvr/stat/mntr of the whole ensemble as it first formed; ZkCompat's compared with a Java 3+1 ensemble's, role by role.
        var reference = Kind == ServerKind.Java ? null : await RoleAnswers.ReadJavaReferenceAsync(participants: 3, observers: 1, TestCancellation);
        Assert.Multiple(() =>
        {
            RoleAnswers.AssertRoles(roleAnswers, followers: 2, observers: 1);
            if (reference is not null) RoleAnswers.AssertSameAsJava(roleAnswers, reference);
        });
    }

    /// <summary>Ok, the error the write failed with, or null when no reply came in time (the connection is then dropped).</summary>
    private static async Task<ErrorCode?> WriteOutcomeAsync(ZooKeeperClient client, string path)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCancellation);
        timeout.CancelAfter(NoQuorumWriteTimeout);
        try
        {
            await client.CreateAsync(path, null, Open, ct: timeout.Token);
            return ErrorCode.Ok;
        }
        catch (KeeperException e)
        {
            return e.Code;
        }
        catch (OperationCanceledException) when (!TestCancellation.IsCancellationRequested)
        {
            client.Abort();
            return null;
        }
    }

    private static async Task<ErrorCode> ErrorOfAsync(Func<Task> action)
    {
        try
        {
            await action();
            return ErrorCode.Ok;
        }
        catch (KeeperException e)
        {
            return e.Code;
        }
    }

    /// <summary>Waits until none of <paramref name="nodes"/> answers srvr as serving (the leader gives up after syncLimit ticks).</summary>
    private static async Task WaitUntilNotServingAsync(ZooKeeperEnsemble ensemble, IReadOnlyList<EnsembleNode> nodes)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            var states = await Task.WhenAll(nodes.Select(n => ZooKeeperEnsemble.QueryAsync(n, TestCancellation)));
            if (states.All(s => s.Mode is null)) return;
            if (elapsed.Elapsed > StopServingTimeout)
            {
                Assert.Fail($"still serving {StopServingTimeout.TotalSeconds:F0}s after the quorum was lost: " +
                            string.Join("; ", states.Select(s => $"{s.Node}: Mode {s.Mode ?? "-"}")) + $"\n{ensemble.DescribeLogs()}");
            }
            // Only polling srvr shows the role change from outside.
            await Task.Delay(TimeSpan.FromMilliseconds(100), TestCancellation);
        }
    }
}
