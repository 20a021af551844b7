namespace ZkCompat.Server.Config;

/// <summary>
/// Parses the value of a <c>server.N</c> line with the rules and messages of Java's
/// <c>QuorumPeer.QuorumServer</c> and <c>ConfigUtils.getHostAndPort</c>.
/// </summary>
internal static class QuorumServerParser
{
    private const string WrongFormat =
        " does not have the form server_config or server_config;client_config"
        + " where server_config is the pipe separated list of host:port:port or host:port:port:type"
        + " and client_config is port or host:port";

    public static QuorumServerSpec Parse(long sid, string addressStr, bool multiAddressEnabled)
    {
        string[] serverClientParts = JavaText.Split(addressStr, ';');
        if (serverClientParts.Length == 0) throw new ConfigException(addressStr + WrongFormat, "server." + sid);
        string[] serverAddresses = JavaText.Split(serverClientParts[0], '|');

        string? clientHost = null;
        int? clientPort = null;
        if (serverClientParts.Length == 2)
        {
            string[] clientParts = GetHostAndPort(serverClientParts[1], "server." + sid);
            if (clientParts.Length > 2) throw new ConfigException(addressStr + WrongFormat, "server." + sid);
            // Only a port: Java listens on every interface.
            clientHost = clientParts.Length == 2 ? clientParts[0] : "0.0.0.0";
            clientPort = ParsePort(clientHost, clientParts[^1], sid);
        }

        if (!multiAddressEnabled && serverAddresses.Length > 1)
        {
            throw new ConfigException(
                "Multiple address feature is disabled, but multiple addresses were specified for sid " + sid, "server." + sid);
        }

        var addresses = new List<QuorumAddress>();
        LearnerType? type = null;
        foreach (string serverAddress in serverAddresses)
        {
            string[] parts = GetHostAndPort(serverAddress, "server." + sid);
            if (serverClientParts.Length > 2 || parts.Length < 3 || parts.Length > 4)
                throw new ConfigException(addressStr + WrongFormat, "server." + sid);

            string host = parts[0];
            int quorumPort = ParsePort(host, parts[1], sid);
            int electionPort = ParsePort(host, parts[2], sid);
            if (quorumPort == electionPort)
            {
                throw new ConfigException(
                    "Client and election port must be different! Please update the configuration file on server." + sid,
                    "server." + sid);
            }
            if (parts.Length == 4)
            {
                LearnerType parsed = ParseType(parts[3], sid);
                type ??= parsed;
                if (type != parsed)
                {
                    throw new ConfigException(
                        $"Multiple addresses should have similar roles: {Name(type.Value)} vs {Name(parsed)}", "server." + sid);
                }
            }
            addresses.Add(new QuorumAddress(host, quorumPort, electionPort));
        }

        return new QuorumServerSpec
        {
            Id = sid,
            Addresses = addresses,
            Type = type ?? LearnerType.Participant,
            ClientHost = clientHost,
            ClientPort = clientPort,
        };
    }

    /// <summary>Splits host:port[:...], with an IPv6 host in brackets.</summary>
    public static string[] GetHostAndPort(string s, string? key = null)
    {
        if (!s.StartsWith('[')) return JavaText.Split(s, ':');
        int close = s.IndexOf(']');
        if (close < 0) throw new ConfigException(s + " starts with '[' but has no matching ']:'", key);
        if (close + 2 == s.Length) throw new ConfigException(s + " doesn't have a port after colon", key);
        if (close + 2 < s.Length)
        {
            string[] rest = JavaText.Split(s[(close + 2)..], ':');
            return [s[1..close], .. rest];
        }
        return [s.Replace("[", "").Replace("]", "")];
    }

    public static LearnerType ParseType(string s, long sid) => s.Trim().ToLowerInvariant() switch
    {
        "observer" => LearnerType.Observer,
        "participant" => LearnerType.Participant,
        _ => throw new ConfigException("Unrecognised peertype: " + s, "server." + sid),
    };

    private static int ParsePort(string host, string text, long sid)
    {
        if (!JavaText.TryParseInt(text, out int port))
            throw new ConfigException($"Address unresolved: {host}:{text}", "server." + sid);
        // new InetSocketAddress(host, port) rejects what no socket can use.
        if (port is < 0 or > 0xFFFF)
            throw new ConfigException("port out of range:" + port, "server." + sid);
        return port;
    }

    private static string Name(LearnerType type) => type == LearnerType.Observer ? "OBSERVER" : "PARTICIPANT";
}
