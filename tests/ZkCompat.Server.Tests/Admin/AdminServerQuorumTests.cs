using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Server.Admin;
using ZkCompat.Server.Tests.Quorum.Peer;

namespace ZkCompat.Server.Tests.Admin;

/// <summary>
/// The quorum commands on peers of an in-process ensemble (two participants and an observer, leader 2
/// by a scripted election): what the leader, a follower and an observer answer, and what a peer that
/// does not serve yet answers.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class AdminServerQuorumTests
{
    private const long LeaderSid = 2;

    private string _root = null!;
    private readonly List<PeerNode> _nodes = [];
    private readonly List<AdminServer> _admins = [];

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("admin-quorum-").FullName;

    [TearDown]
    public async Task TearDown()
    {
        foreach (var a in _admins) await a.DisposeAsync();
        foreach (var n in _nodes) await n.DisposeAsync();
        _admins.Clear();
        _nodes.Clear();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(PeerNode[] Nodes, AdminServer[] Admins)> StartEnsembleAsync()
    {
        var options = EnsembleConfig.Create(_root, 3, null, 3);
        foreach (var o in options)
        {
            var node = new PeerNode(o, new ScriptedElection(o.ServerId, o.ServerId == 3, LeaderSid), NullLoggerFactory.Instance);
            _nodes.Add(node);
            var admin = new AdminServer(o with { AdminServerAddress = "127.0.0.1", AdminServerPort = 0 }, () => node.Peer.Serving,
                NullLoggerFactory.Instance, node.Peer, () => LeaderSid);
            _admins.Add(admin);
            Assert.That(await admin.StartAsync(), Is.True);
        }
        foreach (var n in _nodes) n.Start();
        await PeerNode.WaitUntilAsync(_nodes, () => _nodes.All(n => n.Peer.Serving is not null), TimeSpan.FromSeconds(60));
        return (_nodes.ToArray(), _admins.ToArray());
    }

    private static async Task<JsonElement> GetAsync(AdminServer admin, string name)
    {
        using var http = new HttpClient();
        string body = await http.GetStringAsync($"http://127.0.0.1:{admin.LocalEndPoint!.Port}/commands/{name}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] Keys(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    [Test]
    public async Task Leader_follower_and_observer_answer_the_quorum_commands_as_java()
    {
        var (nodes, admins) = await StartEnsembleAsync();
        var leader = admins[1];
        var follower = admins[0];
        var observer = admins[2];
        Assert.That(nodes[1].Peer.Serving!.ServerState, Is.EqualTo("leader"));

        foreach (var (admin, sid, isLeader) in new[] { (leader, 2L, true), (follower, 1L, false), (observer, 3L, false) })
        {
            var lead = await GetAsync(admin, "leader");
            Assert.That(Keys(lead), Is.EqualTo(new[] { "is_leader", "leader_id", "leader_ip", "command", "error" }));
            Assert.That(lead.GetProperty("is_leader").GetBoolean(), Is.EqualTo(isLeader));
            Assert.That(lead.GetProperty("leader_id").GetInt64(), Is.EqualTo(LeaderSid));
            Assert.That(lead.GetProperty("leader_ip").GetString(), Is.EqualTo("127.0.0.1"));

            var zab = await GetAsync(admin, "zabstate");
            Assert.That(Keys(zab), Is.EqualTo(new[]
            {
                "myid", "is_leader", "quorum_address", "election_address", "client_address", "voting", "last_zxid", "zab_epoch",
                "zab_counter", "zabstate", "command", "error",
            }));
            Assert.That(zab.GetProperty("myid").GetInt64(), Is.EqualTo(sid));
            Assert.That(zab.GetProperty("voting").GetBoolean(), Is.EqualTo(sid != 3), "an observer does not vote");
            Assert.That(zab.GetProperty("zabstate").GetString(), Is.EqualTo("broadcast"));
            long zxid = nodes[sid - 1].Peer.Serving!.Tree.LastProcessedZxid;
            Assert.That(zab.GetProperty("last_zxid").GetString(), Is.EqualTo("0x" + zxid.ToString("x")));
            Assert.That(zab.GetProperty("zab_epoch").GetInt64(), Is.EqualTo(zxid >> 32));
            Assert.That(zab.GetProperty("zab_counter").GetInt64(), Is.EqualTo(zxid & 0xFFFFFFFF));
            var quorumAddress = zab.GetProperty("quorum_address");
            Assert.That(Keys(quorumAddress), Is.EqualTo(new[]
            {
                "empty", "all_addresses", "all_reachable_addresses", "one", "reachable_address", "wildcard_addresses", "all_ports",
                "all_host_strings", "all_reachable_addresses_or_all", "reachable_or_one",
            }));
            int quorumPort = nodes[sid - 1].Options.Self!.QuorumPort;
            Assert.That(quorumAddress.GetProperty("one").GetString(), Is.EqualTo($"127.0.0.1:{quorumPort}"));
            Assert.That(quorumAddress.GetProperty("wildcard_addresses")[0].GetString(), Is.EqualTo($"0.0.0.0:{quorumPort}"));
            Assert.That(zab.GetProperty("client_address").GetString(), Is.EqualTo($"127.0.0.1:{nodes[sid - 1].Options.ClientPort}"));

            var view = (await GetAsync(admin, "voting_view")).GetProperty("current_config");
            Assert.That(Keys(view), Is.EqualTo(new[] { "1", "2" }), "participants only");
            Assert.That(Keys(view.GetProperty("1")), Is.EqualTo(new[] { "server_addresses", "election_addresses", "client_address", "learner_type" }));
            Assert.That(view.GetProperty("2").GetProperty("learner_type").GetString(), Is.EqualTo("participant"));

            var conf = await GetAsync(admin, "configuration");
            Assert.That(conf.GetProperty("server_id").GetInt64(), Is.EqualTo(sid));

            var srvr = await GetAsync(admin, "server_stats");
            Assert.That(Keys(srvr).Contains("proposal_stats"), Is.EqualTo(isLeader), "only a leader reports proposal sizes");
            var mntr = await GetAsync(admin, "monitor");
            Assert.That(mntr.GetProperty("peer_state").GetString(), Does.EndWith(" - broadcast"));
            Assert.That(mntr.GetProperty("quorum_size").GetInt32(), Is.EqualTo(2));
        }

        var observers = await GetAsync(leader, "observers");
        Assert.That(observers.GetProperty("synced_observers").GetInt32(), Is.EqualTo(1));
        Assert.That((await GetAsync(follower, "observers")).GetProperty("synced_observers").GetInt32(), Is.Zero);
        // Learners track sessions for the leader: no expiry buckets of their own, as Java's LearnerSessionTracker.
        Assert.That((await GetAsync(follower, "dump")).GetProperty("expiry_time_to_session_ids").EnumerateObject(), Is.Empty);
    }

    [Test]
    public async Task A_peer_that_does_not_serve_answers_only_what_java_answers_without_a_server()
    {
        var options = EnsembleConfig.Create(_root, 3)[0] with { AdminServerAddress = "127.0.0.1", AdminServerPort = 0 };
        var node = new PeerNode(options, new ScriptedElection(1, false, LeaderSid), NullLoggerFactory.Instance);
        _nodes.Add(node);
        var admin = new AdminServer(options, () => node.Peer.Serving, NullLoggerFactory.Instance, node.Peer, () => LeaderSid);
        _admins.Add(admin);
        Assert.That(await admin.StartAsync(), Is.True);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin.LocalEndPoint!.Port}") };
        Assert.That(await http.GetStringAsync("/commands/lead"),
            Is.EqualTo("{\n  \"command\" : \"lead\",\n  \"error\" : \"This ZooKeeper instance is not currently serving requests\"\n}"));
        var zab = JsonDocument.Parse(await http.GetStringAsync("/commands/zabstate")).RootElement;
        Assert.That(Keys(zab), Is.EqualTo(new[] { "voting", "zabstate", "command", "error" }));
        Assert.That(zab.GetProperty("zabstate").GetString(), Is.Empty);
        Assert.That(JsonDocument.Parse(await http.GetStringAsync("/commands/gtmk")).RootElement.GetProperty("tracemask").GetInt64(), Is.EqualTo(306));
        Assert.That(JsonDocument.Parse(await http.GetStringAsync("/commands/envi")).RootElement.GetProperty("error").ValueKind,
            Is.EqualTo(JsonValueKind.Null));
        // Java's mntr fails inside the servlet without a server: a server error, not JSON.
        var mntr = await http.GetAsync("/commands/mntr");
        Assert.That(mntr.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
    }
}
