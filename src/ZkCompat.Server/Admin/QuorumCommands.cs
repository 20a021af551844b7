using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network.Commands;

namespace ZkCompat.Server.Admin;

/// <summary>
/// The commands about the ensemble (leader, observers, voting_view, zabstate, orst). A standalone or
/// read-only server is not a quorum server in Java's sense and gets Java's answers for that case.
/// </summary>
public static class QuorumCommands
{
    public static void Leader(AdminCommandContext c, CommandResponse r)
    {
        if (!c.IsQuorumServer)
        {
            r.Put("error", "server is not initialized");
            return;
        }
        long leaderId = c.IsLeader ? c.Options.ServerId : c.LeaderId;
        r.Put("is_leader", c.IsLeader);
        r.Put("leader_id", leaderId);
        // Java joins the host strings of the leader's quorum addresses with '|'.
        var leader = c.Options.Servers.FirstOrDefault(s => s.Id == leaderId);
        r.Put("leader_ip", leader is null ? "" : string.Join("|", leader.Addresses.Select(a => HostString(a.Host))));
    }

    /// <summary>Java resets the observers' LearnerHandler counters; we keep none, so there is nothing to reset.</summary>
    public static void ObserverConnectionStatReset(AdminCommandContext c, CommandResponse r)
    {
    }

    /// <summary>
    /// A leader's synced observers; 0 elsewhere (a follower has some only as an observer master, which
    /// we do not run). The per-observer details are not available yet: the list stays empty.
    /// </summary>
    public static void Observers(AdminCommandContext c, CommandResponse r)
    {
        int synced = 0;
        if (c.IsLeader && c.Serving.Role.MonitorValues is { } values)
        {
            string? text = values().FirstOrDefault(kv => kv.Key == "synced_observers").Value;
            _ = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out synced);
        }
        r.Put("synced_observers", synced);
        r.Put("observers", Array.Empty<object>());
    }

    /// <summary>The voting members by sid, each with its addresses and, where known, its client address.</summary>
    public static void VotingView(AdminCommandContext c, CommandResponse r)
    {
        var view = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        if (c.IsQuorumServer)
        {
            foreach (var server in c.Options.Servers.Where(s => s.IsParticipant).OrderBy(s => s.Id))
            {
                view[server.Id.ToString(CultureInfo.InvariantCulture)] = new OrderedDictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["server_addresses"] = server.Addresses.Select(a => Delimited(a.Host) + ":" + Port(a.QuorumPort)).ToList(),
                    ["election_addresses"] = server.Addresses.Select(a => Delimited(a.Host) + ":" + Port(a.ElectionPort)).ToList(),
                    ["client_address"] = ClientAddress(c.Options, server) is { } client ? Delimited(client.Host) + ":" + Port(client.Port) : "",
                    ["learner_type"] = "participant",
                };
            }
        }
        r.Put("current_config", view);
    }

    /// <summary>
    /// This peer's Zab phase and identity. Only a serving quorum server is in a phase Java reports, and
    /// that phase is broadcast; otherwise Java answers that it is not voting, with no phase.
    /// </summary>
    public static void ZabState(AdminCommandContext c, CommandResponse r)
    {
        if (!c.IsQuorumServer || c.Options.Self is not { } self)
        {
            r.Put("voting", false);
            r.Put("zabstate", "");
            return;
        }
        long zxid = c.Serving.Tree.LastProcessedZxid;
        r.Put("myid", c.Options.ServerId);
        r.Put("is_leader", c.IsLeader);
        r.Put("quorum_address", MultipleAddresses(self.Addresses.Select(a => (a.Host, a.QuorumPort)).ToList()));
        r.Put("election_address", MultipleAddresses(self.Addresses.Select(a => (a.Host, a.ElectionPort)).ToList()));
        r.Put("client_address", ClientAddress(c.Options, self) is { } client ? SocketAddress(client.Host, client.Port) : null);
        r.Put("voting", self.IsParticipant);
        r.Put("last_zxid", "0x" + JavaFormat.Hex(zxid));
        r.Put("zab_epoch", zxid >> 32);
        r.Put("zab_counter", zxid & 0xFFFFFFFFL);
        r.Put("zabstate", "broadcast");
    }

    /// <summary>
    /// Java's <c>MultipleAddresses</c> as Jackson serializes the bean: every getter, reachability
    /// included; we do not probe, so every address counts as reachable.
    /// </summary>
    private static OrderedDictionary<string, object?> MultipleAddresses(IReadOnlyList<(string Host, int Port)> addresses)
    {
        var all = addresses.Select(a => SocketAddress(a.Host, a.Port)).ToList();
        string? one = all.Count > 0 ? all[0] : null;
        return new OrderedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["empty"] = all.Count == 0,
            ["all_addresses"] = all,
            ["all_reachable_addresses"] = all,
            ["one"] = one,
            ["reachable_address"] = one,
            ["wildcard_addresses"] = addresses.Select(a => "0.0.0.0:" + Port(a.Port)).Distinct().ToList(),
            ["all_ports"] = addresses.Select(a => a.Port).ToList(),
            ["all_host_strings"] = addresses.Select(a => HostString(a.Host)).ToList(),
            ["all_reachable_addresses_or_all"] = all,
            ["reachable_or_one"] = one,
        };
    }

    /// <summary>
    /// A server's client address: the one on its server line, and for this server the client port it
    /// listens on (clientPortAddress, or the wildcard); null when none is known.
    /// </summary>
    private static (string Host, int Port)? ClientAddress(ServerOptions options, QuorumServerSpec server)
    {
        if (server.ClientPort is { } port) return (server.ClientHost ?? "0.0.0.0", port);
        if (server.Id != options.ServerId || options.ClientPort <= 0) return null;
        return (string.IsNullOrEmpty(options.ClientPortAddress) ? "0.0.0.0" : options.ClientPortAddress, options.ClientPort);
    }

    /// <summary>
    /// Jackson's <c>InetSocketAddress</c> string: the host name when one was given, else the literal
    /// (IPv6 in brackets, in Java's uncompressed form), then the port.
    /// </summary>
    private static string SocketAddress(string host, int port)
    {
        string bare = HostString(host);
        if (IPAddress.TryParse(bare, out var literal) && literal.AddressFamily == AddressFamily.InterNetworkV6)
            return "[" + JavaFormat.Ipv6HostAddress(literal) + "]:" + Port(port);
        return bare + ":" + Port(port);
    }

    /// <summary><c>InetSocketAddress.getHostString</c>: the host as configured, without IPv6 brackets.</summary>
    private static string HostString(string host) => host.Length > 1 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;

    /// <summary>Java's <c>QuorumServer.delimitedHostString</c>: an IPv6 host in brackets.</summary>
    private static string Delimited(string host)
    {
        string bare = HostString(host);
        return bare.Contains(':', StringComparison.Ordinal) ? "[" + bare + "]" : bare;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
