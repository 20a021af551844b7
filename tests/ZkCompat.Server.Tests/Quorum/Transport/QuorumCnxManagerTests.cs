using System.Text;
using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;
using ZkCompat.Server.Quorum.Transport;
using ZkCompat.TestSupport;
using static ZkCompat.Server.Tests.Quorum.Transport.TransportTestKit;

namespace ZkCompat.Server.Tests.Quorum.Transport;

/// <summary>
/// QuorumCnxManager over the in-memory network, on a clock that only moves when told to: the
/// handshake forms Java peers send, the rule that the higher sid owns the connection, replacement,
/// framing faults and back-off.
/// </summary>
public class QuorumCnxManagerTests
{
    private ManualTimeProvider _time = null!;
    private InMemoryPeerNetwork _network = null!;
    private CapturingLoggerFactory _logs = null!;
    private ChangeSignal _changes = null!;
    private readonly List<IAsyncDisposable> _cleanup = [];

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        _network = new InMemoryPeerNetwork(seed: 1);
        _logs = new CapturingLoggerFactory();
        _changes = new ChangeSignal();
        _network.Changed += _changes.Pulse;
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var d in Enumerable.Reverse(_cleanup)) await d.DisposeAsync().AsTask().Within("dispose");
        _cleanup.Clear();
        if (TestContext.CurrentContext.Result.Outcome.Status != NUnit.Framework.Interfaces.TestStatus.Passed)
            TestContext.Out.WriteLine(_logs.Dump());
        _logs.Dispose();
    }

    private QuorumCnxManager StartManager(long sid, int members = 4, QuorumCnxManagerOptions? options = null)
    {
        var manager = new QuorumCnxManager(sid, Members(members), listenOnAllIps: false, _network.ViewFor(HostOf(sid)), _time, _logs, options);
        manager.StateChanged += _changes.Pulse;
        _cleanup.Add(manager);
        manager.Start();
        return manager;
    }

    /// <summary>A stand-in for a Java peer: raw bytes on a raw connection.</summary>
    private async Task<Stream> DialAsync(long toSid, string from = "java")
    {
        var stream = await _network.ViewFor(from).ConnectAsync(HostOf(toSid), ElectionPort, TimeSpan.FromSeconds(1), CancellationToken.None);
        _cleanup.Add(stream);
        return stream;
    }

    private static byte[] V1(long sid, string address) =>
        ElectionMessages.EncodeInitialMessage(sid, [address], ElectionMessages.ProtocolVersionV1);

    public static IEnumerable<TestCaseData> KeptHandshakes()
    {
        yield return new TestCaseData(V1(3, "server3:3888"), 3L).SetName("{m}(V1 as 3.5-3.8 send it)");
        yield return new TestCaseData(
            ElectionMessages.EncodeInitialMessage(3, ["server3:3888", "10.0.0.3:3888"], ElectionMessages.ProtocolVersionV2), 3L)
            .SetName("{m}(V2 with two addresses)");
        yield return new TestCaseData(Int64(3), 3L).SetName("{m}(pre-3.5 bare sid)");
        yield return new TestCaseData(V1(4, "[fd00::4]:3888"), 4L).SetName("{m}(V1 with an IPv6 address)");
        yield return new TestCaseData(V1(3, "0.0.0.0:3888"), 3L).SetName("{m}(V1 with a wildcard address)");
    }

    [TestCaseSource(nameof(KeptHandshakes))]
    public async Task A_higher_sid_that_dials_keeps_its_connection(byte[] introduction, long expectedSid)
    {
        var manager = StartManager(2);
        var java = await DialAsync(2);

        await java.WriteAsync(Concat(introduction, Frame([1, 2, 3])));

        var (sid, payload) = await manager.NextAsync("the frame after the introduction");
        Assert.That(sid, Is.EqualTo(expectedSid));
        Assert.That(payload, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(manager.IsConnected(expectedSid), Is.True);

        // And the connection carries our messages back.
        manager.ToSend(expectedSid, [9, 8]);
        Assert.That(await ReadFrameAsync(java), Is.EqualTo(new byte[] { 9, 8 }));
    }

    public static IEnumerable<TestCaseData> DroppedHandshakes()
    {
        yield return new TestCaseData(Concat(Int64(ElectionMessages.ProtocolVersionV1), Int64(3), Int32(5000)), "unreasonable address length", "address length over 2048").SetName("{m}(address length over 2048)");
        yield return new TestCaseData(Concat(Int64(ElectionMessages.ProtocolVersionV1), Int64(3), Int32(0)), "unreasonable address length", "address length 0").SetName("{m}(address length 0)");
        yield return new TestCaseData(Concat(Int64(-1), Int64(3)), "unrecognized protocol version", "garbage: unknown protocol version").SetName("{m}(garbage: unknown protocol version)");
        yield return new TestCaseData(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "invalid length", "an HTTP request: its first long is a huge sid, then a bad frame length").SetName("{m}(an HTTP request)");
        yield return new TestCaseData(V1(3, "server3"), "Initial message parsing error", "address without a port").SetName("{m}(address without a port)");
        yield return new TestCaseData(V1(3, "server3:port"), "Initial message parsing error", "address with a bad port").SetName("{m}(address with a bad port)");
        yield return new TestCaseData(Concat(V1(3, "server3:3888"), Int32(0)), "invalid length 0", "frame length 0").SetName("{m}(frame length 0)");
        yield return new TestCaseData(Concat(V1(3, "server3:3888"), Int32(512 * 1024 + 1)), "invalid length", "frame length over 512 KiB").SetName("{m}(frame length over 512 KiB)");
        yield return new TestCaseData(Concat(V1(3, "server3:3888"), Int32(-7)), "invalid length", "negative frame length").SetName("{m}(negative frame length)");
        yield return new TestCaseData(V1(2, "server2:3888"), "our own ID", "our own sid").SetName("{m}(our own sid)");
    }

    [TestCaseSource(nameof(DroppedHandshakes))]
    public async Task Garbage_closes_the_connection_with_a_log_line_and_the_manager_goes_on(byte[] bytes, string logged, string what)
    {
        var manager = StartManager(2);
        var java = await DialAsync(2);

        await java.WriteAsync(bytes);
        await ExpectClosedAsync(java, what);

        await _changes.WaitUntilAsync(() => manager.PendingConnectionAttempts == 0 && !manager.IsConnected(3), "the bad connection is gone");
        Assert.That(_logs.Lines.Any(l => l.Level >= LogLevel.Warning && l.Message.Contains(logged, StringComparison.Ordinal)), Is.True,
            $"a warning or error mentioning '{logged}'");

        // A well-behaved peer is served as usual afterwards.
        var good = await DialAsync(2, "java2");
        await good.WriteAsync(Concat(V1(3, "server3:3888"), Frame([7])));
        var (sid, payload) = await manager.NextAsync("a good peer after the bad one");
        Assert.That((sid, payload), Is.EqualTo((3L, new byte[] { 7 })));
    }

    [Test]
    public async Task A_peer_that_closes_before_introducing_itself_is_dropped()
    {
        var manager = StartManager(2);
        var java = await DialAsync(2);
        await java.WriteAsync(new byte[] { 0xff, 0xff, 0xff });
        await java.DisposeAsync();

        await _changes.WaitUntilAsync(() => _logs.Has(LogLevel.Warning, "closed before its initial message"), "the log line");
        Assert.That(manager.PendingConnectionAttempts, Is.Zero);
    }

    [Test]
    public async Task A_peer_that_never_introduces_itself_is_dropped_after_the_handshake_timeout()
    {
        var manager = StartManager(2, options: new QuorumCnxManagerOptions { HandshakeTimeout = TimeSpan.FromSeconds(4) });
        var java = await DialAsync(2);
        await java.WriteAsync(new byte[] { 0xff });
        // The handshake arms its timeout on the manual clock; then time passes.
        await _time.WaitForActiveTimersAsync(1).Within("the handshake timer");
        _time.AdvanceMs(4000);

        await ExpectClosedAsync(java, "handshake timeout");
        Assert.That(_logs.Has(LogLevel.Warning, "No initial message within 4000 ms"), Is.True);
    }

    [Test]
    public async Task A_lower_sid_that_dials_is_hung_up_on_and_called_back()
    {
        var manager = StartManager(2);
        var java1 = _network.ViewFor(HostOf(1)).Listen(HostOf(1), ElectionPort);
        _cleanup.Add(java1);
        var incoming = await DialAsync(2, HostOf(1));

        await incoming.WriteAsync(V1(1, "server1:3888"));
        await ExpectClosedAsync(incoming, "the lower sid's own connection");

        await using var callBack = await java1.AcceptAsync(CancellationToken.None).AsTask().Within("the call back");
        var hello = await ReadInitialMessageAsync(callBack);
        Assert.That(hello.ProtocolVersion, Is.EqualTo(ElectionMessages.ProtocolVersionV1), "3.8 without multiAddress sends V1");
        Assert.That(hello.Sid, Is.EqualTo(2));
        Assert.That(hello.ElectionAddresses, Is.EqualTo(new[] { "server2:3888" }));

        await callBack.WriteAsync(Frame([5]));
        Assert.That(await manager.NextAsync("a frame on the call back"), Is.EqualTo((1L, new byte[] { 5 })).Using(new PayloadComparer()));
    }

    [Test]
    public async Task An_observer_without_an_id_gets_a_negative_one_and_is_called_back_where_it_said()
    {
        var manager = StartManager(2);
        var observerListener = _network.ViewFor("observer").Listen("observer", 3999);
        _cleanup.Add(observerListener);
        var incoming = await DialAsync(2, "observer");

        await incoming.WriteAsync(V1(ElectionMessages.ObserverSid, "observer:3999"));
        await ExpectClosedAsync(incoming, "the observer's own connection (its made-up sid is lower)");

        await using var callBack = await observerListener.AcceptAsync(CancellationToken.None).AsTask().Within("the call back to the observer");
        Assert.That((await ReadInitialMessageAsync(callBack)).Sid, Is.EqualTo(2));
        await callBack.WriteAsync(Frame([42]));

        var (sid, payload) = await manager.NextAsync("the observer's frame");
        Assert.That(sid, Is.EqualTo(-1), "Java's observerCounter starts at -1");
        Assert.That(payload, Is.EqualTo(new byte[] { 42 }));
        Assert.That(_logs.Has(LogLevel.Information, "Setting arbitrary identifier to observer: -1"), Is.True);
    }

    [Test]
    public async Task When_both_dial_at_once_exactly_one_connection_survives()
    {
        var one = StartManager(1);
        var two = StartManager(2);

        // Sending is best effort, as in Java: a message on a connection torn down in the sid challenge may be
        // lost (the election resends), and a replacement connection repeats the last message. So: resend until seen.
        var first = DeliverAsync(one, two, 12);
        var second = DeliverAsync(two, one, 21);
        await Task.WhenAll(first, second);
        await _changes.WaitUntilAsync(
            () => one.PendingConnectionAttempts == 0 && two.PendingConnectionAttempts == 0
                  && one.IsConnected(2) && two.IsConnected(1) && _network.OpenConnections(HostOf(1), HostOf(2)) == 1,
            "one connection, nothing in progress");

        // Whatever was dialled in the race, the one left works both ways.
        await DeliverAsync(one, two, 13);
        await DeliverAsync(two, one, 22);
        Assert.That(_network.OpenConnections(HostOf(1), HostOf(2)), Is.EqualTo(1));
        Assert.That(_network.ConnectAttempts(HostOf(2), HostOf(1), ElectionPort), Is.GreaterThanOrEqualTo(1), "the higher sid owns it: it dialled");
    }

    // Sends until the receiver sees the payload, skipping repeats of earlier messages.
    private static async Task DeliverAsync(QuorumCnxManager from, QuorumCnxManager to, byte payload)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            from.ToSend(to.MySid, [payload]);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                while (true)
                {
                    var (sid, bytes) = await to.Received.ReadAsync(wait.Token);
                    if (sid == from.MySid && bytes.Length == 1 && bytes[0] == payload) return;
                }
            }
            catch (OperationCanceledException)
            {
            }
        }
        Assert.Fail($"{payload} never reached {to.MySid} from {from.MySid}");
    }

    [Test]
    public async Task Many_managers_end_with_one_connection_per_pair()
    {
        var managers = Enumerable.Range(1, 4).Select(i => StartManager(i)).ToList();
        foreach (var from in managers)
            foreach (var to in managers.Where(m => m != from))
                from.ToSend(to.MySid, [(byte)from.MySid, (byte)to.MySid]);

        foreach (var to in managers)
        {
            var senders = new HashSet<long>();
            while (senders.Count < 3)
            {
                var (sid, payload) = await to.NextAsync($"messages for {to.MySid}");
                Assert.That(payload, Is.EqualTo(new[] { (byte)sid, (byte)to.MySid }));
                senders.Add(sid);
            }
        }
        await _changes.WaitUntilAsync(
            () => managers.All(m => m.PendingConnectionAttempts == 0)
                  && managers.All(a => managers.All(b => a == b || (a.IsConnected(b.MySid) && _network.OpenConnections(HostOf(a.MySid), HostOf(b.MySid)) == 1))),
            "exactly one connection per pair");
    }

    [Test]
    public async Task A_newer_connection_replaces_the_older_and_repeats_the_last_message()
    {
        var manager = StartManager(2);
        var first = await DialAsync(2, "java-a");
        await first.WriteAsync(V1(3, "server3:3888"));
        await _changes.WaitUntilAsync(() => manager.IsConnected(3), "first connection registered");

        manager.ToSend(3, [1]);
        Assert.That(await ReadFrameAsync(first), Is.EqualTo(new byte[] { 1 }));

        var second = await DialAsync(2, "java-b");
        await second.WriteAsync(Concat(V1(3, "server3:3888"), Frame([2])));
        Assert.That(await manager.NextAsync("a frame on the second connection"), Is.EqualTo((3L, new byte[] { 2 })).Using(new PayloadComparer()));

        await ExpectClosedAsync(first, "the replaced connection");
        // Java's SendWorker repeats lastMessageSent on a new connection when nothing newer waits.
        Assert.That(await ReadFrameAsync(second), Is.EqualTo(new byte[] { 1 }));
        manager.ToSend(3, [3]);
        Assert.That(await ReadFrameAsync(second), Is.EqualTo(new byte[] { 3 }));
    }

    [Test]
    public async Task The_send_queue_keeps_only_the_newest_message_while_disconnected()
    {
        var manager = StartManager(2);
        var listener = _network.ViewFor(HostOf(1)).Listen(HostOf(1), ElectionPort);
        _cleanup.Add(listener);
        _network.Partition(HostOf(1), HostOf(2));

        manager.ToSend(1, [1]);
        manager.ToSend(1, [2]);
        manager.ToSend(1, [3]);
        await _changes.WaitUntilAsync(() => manager.PendingConnectionAttempts == 0, "the failed dial");
        Assert.That(manager.HaveDelivered(), Is.False, "the only queue still holds a message");

        _network.Heal(HostOf(1), HostOf(2));
        _time.AdvanceMs(100);
        await using var peer = await listener.AcceptAsync(CancellationToken.None).AsTask().Within("the retry after the back-off");
        await ReadInitialMessageAsync(peer);
        Assert.That(await ReadFrameAsync(peer), Is.EqualTo(new byte[] { 3 }), "newest wins (capacity-1 queue)");
        await _changes.WaitUntilAsync(manager.HaveDelivered, "queue drained");
    }

    [Test]
    public async Task Dialling_an_unreachable_peer_backs_off_instead_of_spinning()
    {
        var manager = StartManager(1, members: 3);
        manager.ToSend(2, [1]);
        await _changes.WaitUntilAsync(() => _network.ConnectAttempts(HostOf(1), HostOf(2), ElectionPort) == 1 && manager.PendingConnectionAttempts == 0, "first dial refused");

        // The clock stands still: no amount of sending dials again.
        for (int i = 0; i < 50; i++) manager.ToSend(2, [(byte)i]);
        manager.ConnectAll();
        Assert.That(_network.ConnectAttempts(HostOf(1), HostOf(2), ElectionPort), Is.EqualTo(1));

        // The pause doubles: 100 ms, then 200 ms, then 400 ms.
        _time.AdvanceMs(100);
        await _changes.WaitUntilAsync(() => _network.ConnectAttempts(HostOf(1), HostOf(2), ElectionPort) == 2 && manager.PendingConnectionAttempts == 0, "second dial");
        _time.AdvanceMs(199);
        Assert.That(_network.ConnectAttempts(HostOf(1), HostOf(2), ElectionPort), Is.EqualTo(2));
        _time.AdvanceMs(1);
        await _changes.WaitUntilAsync(() => _network.ConnectAttempts(HostOf(1), HostOf(2), ElectionPort) == 3 && manager.PendingConnectionAttempts == 0, "third dial");

        // Once the peer is up, the next retry reaches it; 2 owns the connection, so it calls back.
        var two = StartManager(2, members: 3);
        _time.AdvanceMs(400);
        var (sid, payload) = await two.NextAsync("the newest queued message");
        Assert.That(sid, Is.EqualTo(1));
        Assert.That(payload, Is.EqualTo(new byte[] { 49 }));
    }

    [Test]
    public async Task Dropped_connections_are_retried_until_messages_get_through()
    {
        var one = StartManager(1, members: 3);
        var two = StartManager(2, members: 3);
        _network.DropRate = 0.6;
        bool atOne = false, atTwo = false;
        bool Progress()
        {
            while (one.Received.TryRead(out var m)) atOne |= m.Sid == 2 && m.Payload[0] == 8;
            while (two.Received.TryRead(out var m)) atTwo |= m.Sid == 1 && m.Payload[0] == 7;
            bool quiet = one.PendingConnectionAttempts == 0 && two.PendingConnectionAttempts == 0;
            return (atOne && atTwo) || (quiet && !(one.IsConnected(2) && two.IsConnected(1)));
        }

        one.ToSend(2, [7]);
        two.ToSend(1, [8]);
        int rounds = 0;
        while (true)
        {
            await _changes.WaitUntilAsync(Progress, $"dials settle (round {rounds})");
            if (atOne && atTwo) break;
            Assert.That(++rounds, Is.LessThan(100), "a connection gets through eventually");
            // Like Java, a message that went out on a connection torn down in the sid challenge is gone;
            // the election resends while it looks, and so does this stand-in for it.
            if (!atTwo) one.ToSend(2, [7]);
            if (!atOne) two.ToSend(1, [8]);
            // Each retry waits for its back-off; move the clock past the longest one.
            _time.AdvanceMs(5000);
        }
        Assert.That(_network.ConnectAttempts(HostOf(1), HostOf(2), ElectionPort) + _network.ConnectAttempts(HostOf(2), HostOf(1), ElectionPort),
            Is.LessThanOrEqualTo(4 * (rounds + 1)), "a few dials per back-off period, no storm");
    }

    [Test]
    public async Task A_message_to_self_loops_back()
    {
        var manager = StartManager(2);
        manager.ToSend(2, [4, 2]);
        Assert.That(await manager.NextAsync("loopback"), Is.EqualTo((2L, new byte[] { 4, 2 })).Using(new PayloadComparer()));
        Assert.That(_network.ConnectAttempts(HostOf(2), HostOf(2), ElectionPort), Is.Zero);
    }

    [Test]
    public async Task The_receive_queue_drops_the_oldest_when_full()
    {
        var manager = StartManager(2, options: new QuorumCnxManagerOptions { ReceiveCapacity = 3 });
        var java = await DialAsync(2);
        await java.WriteAsync(Concat(V1(3, "server3:3888"), Frame([1]), Frame([2]), Frame([3]), Frame([4]), Frame([5])));
        await _changes.WaitUntilAsync(
            () => manager.Received.Count == 3 && manager.Received.TryPeek(out var head) && head.Payload[0] == 3,
            "the three newest kept");
        var seen = new List<byte>();
        for (int i = 0; i < 3; i++) seen.Add((await manager.NextAsync("the newest frames")).Payload[0]);
        Assert.That(seen, Is.EqualTo(new byte[] { 3, 4, 5 }));
    }

    [Test]
    public async Task A_broken_connection_is_forgotten_and_the_next_send_dials_again()
    {
        var one = StartManager(1, members: 3);
        var two = StartManager(2, members: 3);
        one.ToSend(2, [1]);
        await two.NextAsync("first message");
        await _changes.WaitUntilAsync(() => one.IsConnected(2) && two.IsConnected(1), "connected");

        _network.Partition(HostOf(1), HostOf(2));
        await _changes.WaitUntilAsync(() => !one.IsConnected(2) && !two.IsConnected(1), "both ends notice the break");
        Assert.That(_logs.Has(LogLevel.Warning, "network partition"), Is.True);

        _network.Heal(HostOf(1), HostOf(2));
        two.ToSend(1, [2]);
        Assert.That(await one.NextAsync("after healing"), Is.EqualTo((2L, new byte[] { 2 })).Using(new PayloadComparer()));
    }

    [Test]
    public async Task Dispose_closes_listeners_and_connections_and_returns()
    {
        var one = StartManager(1, members: 3);
        var two = StartManager(2, members: 3);
        var java = await DialAsync(2);
        await java.WriteAsync(new byte[] { 0xff }); // a handshake left hanging
        one.ToSend(2, [1]);
        await two.NextAsync("connected");

        await two.DisposeAsync().AsTask().Within("dispose of 2");
        Assert.That(_network.OpenConnections(HostOf(1), HostOf(2)), Is.Zero);
        await ExpectClosedAsync(java, "the hanging handshake");
        Assert.That(two.Received.Completion.IsCompleted, Is.True);
        Assert.ThrowsAsync<IOException>(async () => await DialAsync(2, "late"), "nothing listens any more");
        two.ToSend(1, [1]); // after dispose: ignored, no throw
        await _changes.WaitUntilAsync(() => !one.IsConnected(2), "1 noticed");
    }

    [Test]
    public async Task Listening_on_all_ips_answers_at_every_name_of_the_host()
    {
        var members = new[] { Member(1), Member(2) };
        var manager = new QuorumCnxManager(2, members, listenOnAllIps: true, _network.ViewFor(HostOf(2), HostOf(2), "10.0.0.2"), _time, _logs);
        _cleanup.Add(manager);
        manager.Start();

        var java = await _network.ViewFor("java").ConnectAsync("10.0.0.2", ElectionPort, TimeSpan.FromSeconds(1), CancellationToken.None);
        _cleanup.Add(java);
        await java.WriteAsync(Concat(V1(3, "server3:3888"), Frame([1])));
        Assert.That((await manager.NextAsync("via the second name")).Sid, Is.EqualTo(3));
    }

    [Test]
    public void Options_follow_the_java_properties()
    {
        var options = new ServerOptions
        {
            TickTime = 2000,
            SyncLimit = 5,
            MultiAddressEnabled = true,
            SystemProperties = new Dictionary<string, string> { ["zookeeper.cnxTimeout"] = "700", ["zookeeper.electionPortBindRetry"] = "0" },
        };
        var derived = QuorumCnxManagerOptions.From(options);
        Assert.That(derived.ConnectTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(700)));
        Assert.That(derived.HandshakeTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)), "tickTime × syncLimit");
        Assert.That(derived.MultiAddressEnabled, Is.True);
        Assert.That(derived.ListenRetries, Is.Zero);

        var explicitTimeout = QuorumCnxManagerOptions.From(options with
        {
            SystemProperties = new Dictionary<string, string> { ["zookeeper.quorumCnxnTimeoutMs"] = "1234" },
        });
        Assert.That(explicitTimeout.HandshakeTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(1234)));
        Assert.That(explicitTimeout.ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
    }

    [Test]
    public async Task Multi_address_servers_introduce_themselves_with_v2()
    {
        var two = new QuorumServerSpec
        {
            Id = 2,
            Addresses = [new QuorumAddress("server2", QuorumPort, ElectionPort), new QuorumAddress("10.0.0.2", QuorumPort, ElectionPort)],
        };
        var manager = new QuorumCnxManager(2, [Member(1), two], false, _network.ViewFor(HostOf(2), HostOf(2), "10.0.0.2"), _time, _logs,
            new QuorumCnxManagerOptions { MultiAddressEnabled = true });
        _cleanup.Add(manager);
        manager.Start();
        var java1 = _network.ViewFor(HostOf(1)).Listen(HostOf(1), ElectionPort);
        _cleanup.Add(java1);

        manager.ToSend(1, [1]);
        await using var stream = await java1.AcceptAsync(CancellationToken.None).AsTask().Within("dial to 1");
        var hello = await ReadInitialMessageAsync(stream);
        Assert.That(hello.ProtocolVersion, Is.EqualTo(ElectionMessages.ProtocolVersionV2));
        Assert.That(hello.ElectionAddresses, Is.EqualTo(new[] { "server2:3888", "10.0.0.2:3888" }));
    }

    /// <summary>Tuples with byte arrays compare by content.</summary>
    private sealed class PayloadComparer : IEqualityComparer<(long, byte[])>
    {
        public bool Equals((long, byte[]) x, (long, byte[]) y) => x.Item1 == y.Item1 && x.Item2.AsSpan().SequenceEqual(y.Item2);

        public int GetHashCode((long, byte[]) obj) => obj.Item1.GetHashCode();
    }
}
