using ZkCompat.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;
using ZkCompat.Server.Processors;

namespace ZkCompat.Server.Tests.Protocol;

/// <summary>Session expiry and container/TTL reaping, driven by a manual clock: no sleeps.</summary>
public class TimeDrivenTests
{
    private static readonly List<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    // maxPerMinute high enough that reaping needs no pacing timer on the manual clock.
    private static ServerOptions Options(bool extended = false) =>
        new() { TickTime = 2000, ClientPortAddress = "127.0.0.1", ExtendedTypesEnabled = extended, ContainerMaxPerMinute = 6_000_000 };

    [Test]
    public async Task Expired_session_loses_its_ephemerals_and_others_see_it()
    {
        var clock = new ManualTimeProvider(startMs: 1_000_000);
        await using var server = InProcessServer.Start(Options(), clock);
        var noPings = new ZooKeeperClientOptions { KeepAlive = false };
        await using var owner = await server.ConnectAsync(noPings with { SessionTimeout = TimeSpan.FromSeconds(4) });
        await using var observer = await server.ConnectAsync(noPings with { SessionTimeout = TimeSpan.FromSeconds(40) });
        Assert.That(owner.NegotiatedTimeout, Is.EqualTo(4000));
        await owner.CreateAsync("/lease", null, Open, CreateMode.Ephemeral);
        Assert.That(await observer.ExistsAsync("/lease", watch: true), Is.Not.Null);

        // Not yet: 3 s of silence is inside the 4 s timeout.
        clock.AdvanceMs(3000);
        await observer.SyncAsync("/");
        Assert.That(await observer.ExistsAsync("/lease"), Is.Not.Null);

        clock.AdvanceMs(4000);
        var evt = await observer.Events.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That((evt.Type, evt.Path), Is.EqualTo(((int)EventType.NodeDeleted, "/lease")));
        Assert.That(server.Server.Sessions.IsTrackingSession(owner.SessionId), Is.False);
        Assert.That(server.Server.Sessions.IsTrackingSession(observer.SessionId), Is.True);
        await owner.Completion.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task Empty_used_container_and_expired_ttl_node_are_reaped()
    {
        var clock = new ManualTimeProvider(startMs: 5_000_000);
        await using var server = InProcessServer.Start(Options(extended: true), clock);
        await using var client = await server.ConnectAsync(new ZooKeeperClientOptions { KeepAlive = false, SessionTimeout = TimeSpan.FromSeconds(40) });
        var reaper = new ContainerManager(server.Server, NullLogger.Instance);

        await client.CreateAsync("/fresh", null, Open, CreateMode.Container);
        await client.CreateAsync("/used", null, Open, CreateMode.Container);
        await client.CreateAsync("/used/child", null, Open);
        await client.CreateAsync("/ttl", null, Open, CreateMode.PersistentWithTtl, ttl: 5000);
        Assert.That(reaper.GetCandidates(), Is.Empty, "a container with a child, a never-used one, and a young TTL node stay");

        await client.DeleteAsync("/used/child");
        Assert.That(reaper.GetCandidates(), Is.EqualTo(new[] { "/used" }));
        clock.AdvanceMs(6000);
        Assert.That(reaper.GetCandidates(), Is.EquivalentTo(new[] { "/used", "/ttl" }));

        await reaper.ReapAsync(CancellationToken.None);
        // The deletions are ahead of this request in the one ordered pipeline.
        Assert.That(await client.ExistsAsync("/used"), Is.Null);
        Assert.That(await client.ExistsAsync("/ttl"), Is.Null);
        Assert.That(await client.ExistsAsync("/fresh"), Is.Not.Null);
    }

    [Test]
    public async Task Container_that_gained_a_child_before_reaping_survives()
    {
        var clock = new ManualTimeProvider(startMs: 5_000_000);
        await using var server = InProcessServer.Start(Options(), clock);
        await using var client = await server.ConnectAsync(new ZooKeeperClientOptions { KeepAlive = false, SessionTimeout = TimeSpan.FromSeconds(40) });
        var reaper = new ContainerManager(server.Server, NullLogger.Instance);
        await client.CreateAsync("/c", null, Open, CreateMode.Container);
        await client.CreateAsync("/c/a", null, Open);
        await client.DeleteAsync("/c/a");
        var candidates = reaper.GetCandidates();
        await client.CreateAsync("/c/b", null, Open);
        foreach (string path in candidates)
            await server.Server.SubmitInternalAsync(new Request(null, 0, 0, OpCode.DeleteContainer, System.Text.Encoding.UTF8.GetBytes(path), []));
        Assert.That(await client.GetChildrenAsync("/c"), Is.EqualTo(new[] { "b" }));
    }
}
