using System.Globalization;
using ZkCompat.Client;

namespace ZkCompat.Bench;

/// <summary>Command line of <c>zkbench WORKLOAD [--name value ...]</c>; every knob has a bounded default.</summary>
public sealed record BenchOptions
{
    public required string Workload { get; init; }

    /// <summary>
    /// host:port of the server under test, or a comma-separated list of an ensemble's servers (loopback
    /// only): sessions are spread over the list round-robin, setup goes through the first.
    /// </summary>
    public string Server { get; init; } = "127.0.0.1:2181";

    /// <summary><see cref="Server"/> split into one host:port per server, in the order given.</summary>
    public IReadOnlyList<string> Servers => [.. ConnectString.Parse(Server).Select(h => h.ToString())];

    /// <summary>The server that creates the workload's znodes before the run.</summary>
    public string SetupServer => Servers[0];

    /// <summary>What each request does: the ensemble workloads are set and mix spread over a server list.</summary>
    public string Operation => Workload switch
    {
        "ens-set" => "set",
        "ens-mix" => "mix",
        _ => Workload,
    };

    /// <summary>Which server this is ("java", "zkcompat"), echoed in the result line.</summary>
    public string Label { get; init; } = "server";

    public int Sessions { get; init; } = 64;

    /// <summary>Requests in flight per session (closed loop: a worker sends its next one when the reply arrives).</summary>
    public int Outstanding { get; init; } = 8;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Stop after this many measured operations even if time remains.</summary>
    public long MaxOps { get; init; } = long.MaxValue;

    /// <summary>Znodes read/written by get/set/mix; znodes loaded by bulk.</summary>
    public int Nodes { get; init; } = 1000;

    public int DataSize { get; init; } = 100;

    /// <summary>fanout: sessions watching the one node.</summary>
    public int Watchers { get; init; } = 1000;

    /// <summary>fanout: setData rounds; storm: sessions opened and closed.</summary>
    public int Rounds { get; init; } = 50;

    /// <summary>mix: share of reads in percent.</summary>
    public int ReadPercent { get; init; } = 90;

    /// <summary>bulk: file holding the server's pid (for VmRSS and the kill), rewritten by the restart command.</summary>
    public string? PidFile { get; init; }

    /// <summary>bulk: the snapshot directory (dataDir/version-2) to time snapshot writes in.</summary>
    public string? SnapDir { get; init; }

    /// <summary>bulk: shell command that starts the server again in the background.</summary>
    public string? RestartCommand { get; init; }

    /// <summary>Upper bound for any single wait (server start, a fanout round, recovery).</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(120);

    public int Seed { get; init; } = 42;

    /// <summary>Session timeout the load sessions ask for; the client pings after a third of it (at most 10 s) when idle.</summary>
    public TimeSpan SessionTimeout { get; init; } = ZkCompat.Bench.Sessions.DefaultSessionTimeout;

    public const string Usage =
        "usage: zkbench get|set|churn|mix|fanout|storm|bulk|ens-set|ens-mix [--server host:port[,host:port...]] [--label name] [--sessions n]\n" +
        "  [--outstanding n] [--warmup s] [--duration s] [--ops n] [--nodes n] [--size bytes] [--watchers n]\n" +
        "  [--rounds n] [--read-percent p] [--pid-file f] [--snap-dir d] [--restart-cmd cmd] [--max-wait s] [--seed n]\n" +
        "  [--session-timeout s]";

    public static readonly string[] Workloads = ["get", "set", "churn", "mix", "fanout", "storm", "bulk", "ens-set", "ens-mix"];

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || !Workloads.Contains(args[0])) throw new ArgumentException("unknown or missing workload");
        var o = new BenchOptions { Workload = args[0] };
        for (int i = 1; i < args.Count; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Count) throw new ArgumentException($"{name} needs a value");
            string v = args[++i];
            o = name switch
            {
                "--server" => o with { Server = ServerList(v) },
                "--label" => o with { Label = v },
                "--sessions" => o with { Sessions = Positive(name, v) },
                "--outstanding" => o with { Outstanding = Positive(name, v) },
                "--warmup" => o with { Warmup = Seconds(name, v, allowZero: true) },
                "--duration" => o with { Duration = Seconds(name, v, allowZero: false) },
                "--ops" => o with { MaxOps = Positive(name, v) },
                "--nodes" => o with { Nodes = Positive(name, v) },
                "--size" => o with { DataSize = NonNegative(name, v) },
                "--watchers" => o with { Watchers = Positive(name, v) },
                "--rounds" => o with { Rounds = Positive(name, v) },
                "--read-percent" => o with { ReadPercent = Math.Min(100, NonNegative(name, v)) },
                "--pid-file" => o with { PidFile = v },
                "--snap-dir" => o with { SnapDir = v },
                "--restart-cmd" => o with { RestartCommand = v },
                "--max-wait" => o with { MaxWait = Seconds(name, v, allowZero: false) },
                "--seed" => o with { Seed = NonNegative(name, v) },
                "--session-timeout" => o with { SessionTimeout = Seconds(name, v, allowZero: false) },
                _ => throw new ArgumentException($"unknown option {name}"),
            };
        }
        return o;
    }

    private static string ServerList(string v)
    {
        try
        {
            ConnectString.Parse(v);
            return v;
        }
        catch (NotSupportedException e)
        {
            throw new ArgumentException($"--server: {e.Message}");
        }
    }

    private static int Positive(string name, string v)
    {
        int n = NonNegative(name, v);
        return n > 0 ? n : throw new ArgumentException($"{name} must be > 0");
    }

    private static int NonNegative(string name, string v) =>
        int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"{name}: '{v}' is not a count");

    private static TimeSpan Seconds(string name, string v, bool allowZero)
    {
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) || s < 0 || (!allowZero && s == 0) || s > 86_400)
            throw new ArgumentException($"{name}: '{v}' is not a number of seconds");
        return TimeSpan.FromSeconds(s);
    }
}
