using System.Globalization;
using System.Text;

namespace ZkCompat.Server.Config;

/// <summary>Whether a quorum member votes (Java's <c>LearnerType</c>).</summary>
public enum LearnerType
{
    Participant,
    Observer,
}

/// <summary>One <c>host:quorumPort:electionPort</c> of a server line (several with multiAddress.enabled).</summary>
public sealed record QuorumAddress(string Host, int QuorumPort, int ElectionPort);

/// <summary>
/// A <c>server.N=host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]</c> line.
/// Host names are kept as written; resolving them is the transport's job, as Java resolves lazily too.
/// </summary>
public sealed record QuorumServerSpec
{
    public required long Id { get; init; }

    /// <summary>Every address of the line (one unless <c>multiAddress.enabled</c>), in the order written.</summary>
    public required IReadOnlyList<QuorumAddress> Addresses { get; init; }

    public LearnerType Type { get; init; } = LearnerType.Participant;

    /// <summary>The client address after ';' (Java uses 0.0.0.0 when only a port is given); null when absent.</summary>
    public string? ClientHost { get; init; }

    public int? ClientPort { get; init; }

    public string Host => Addresses[0].Host;
    public int QuorumPort => Addresses[0].QuorumPort;
    public int ElectionPort => Addresses[0].ElectionPort;
    public bool IsParticipant => Type == LearnerType.Participant;

    /// <summary>The value part as Java's <c>QuorumServer.toString</c> writes it into config text.</summary>
    public string ToConfigValue()
    {
        var sb = new StringBuilder();
        // Java lists the addresses sorted by host string.
        var quorum = Addresses.OrderBy(a => a.Host, StringComparer.Ordinal).ToList();
        for (int i = 0; i < quorum.Count; i++)
        {
            if (i > 0) sb.Append('|');
            sb.Append(Bracket(quorum[i].Host)).Append(':')
              .Append(quorum[i].QuorumPort.ToString(CultureInfo.InvariantCulture)).Append(':')
              .Append(quorum[i].ElectionPort.ToString(CultureInfo.InvariantCulture));
        }
        sb.Append(Type == LearnerType.Observer ? ":observer" : ":participant");
        if (ClientPort is { } port)
            sb.Append(';').Append(Bracket(ClientHost ?? "0.0.0.0")).Append(':').Append(port.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static string Bracket(string host) => host.Contains(':') ? "[" + host + "]" : host;
}
