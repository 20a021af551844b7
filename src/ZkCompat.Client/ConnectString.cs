using System.Globalization;

namespace ZkCompat.Client;

/// <summary>One server of a connect string.</summary>
public readonly record struct HostPort(string Host, int Port)
{
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// Parses <c>host:port[,host:port]</c> (IPv6 as <c>[addr]:port</c>; port defaults to 2181) the way
/// Java's <c>ConnectStringParser</c> splits it. A chroot suffix is not supported by this client.
/// </summary>
public static class ConnectString
{
    public const int DefaultPort = 2181;

    public static IReadOnlyList<HostPort> Parse(string connectString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectString);
        int slash = connectString.IndexOf('/');
        if (slash >= 0)
        {
            // Java treats "/" alone as no chroot.
            if (connectString[slash..] != "/")
                throw new NotSupportedException($"chroot '{connectString[slash..]}' is not supported by this client");
            connectString = connectString[..slash];
        }

        var hosts = new List<HostPort>();
        foreach (string raw in connectString.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            hosts.Add(ParseOne(raw));
        if (hosts.Count == 0) throw new ArgumentException("no host in connect string", nameof(connectString));
        return hosts;
    }

    private static HostPort ParseOne(string entry)
    {
        string host = entry;
        string? port = null;
        if (entry.StartsWith('['))
        {
            int close = entry.IndexOf(']');
            if (close < 0) throw new ArgumentException($"unclosed '[' in '{entry}'");
            host = entry[1..close];
            string rest = entry[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':') throw new ArgumentException($"expected ':' after ']' in '{entry}'");
                port = rest[1..];
            }
        }
        else
        {
            int colon = entry.LastIndexOf(':');
            if (colon >= 0)
            {
                host = entry[..colon];
                port = entry[(colon + 1)..];
            }
        }
        int portNumber = DefaultPort;
        if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is <= 0 or > 65535))
            throw new ArgumentException($"bad port in '{entry}'");
        if (host.Length == 0) throw new ArgumentException($"empty host in '{entry}'");
        return new HostPort(host, portNumber);
    }
}
