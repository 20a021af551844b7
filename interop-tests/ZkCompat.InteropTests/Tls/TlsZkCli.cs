using System.Text.RegularExpressions;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Tls;

/// <summary>What one zkCli run printed (stderr merged) and how it ended.</summary>
public sealed record ZkCliRun(string CommandLine, string Environment, int? ExitCode, IReadOnlyList<string> Lines)
{
    /// <summary>The lines that depend on the server's answers: JVM and logging noise and the port are dropped.</summary>
    public IReadOnlyList<string> Transcript => TlsZkCli.Normalize(Lines);

    public string Describe() =>
        $"command: {CommandLine}\nCLIENT_JVMFLAGS: {Environment}\nexit code: {ExitCode?.ToString() ?? "(killed)"}\n--- output ---\n{string.Join('\n', Lines)}";
}

/// <summary>
/// Debian's stock <c>zkCli.sh</c> as a TLS client: <c>CLIENT_JVMFLAGS</c> selects the Netty client socket
/// and the <c>zookeeper.ssl.*</c> stores. zkCli.sh puts CLIENT_JVMFLAGS after its own <c>-cp</c>, and the
/// last <c>-cp</c> wins, so the flags also carry the classpath: zkEnv.sh's, plus the netty jars that
/// ClientCnxnSocketNetty needs and zookeeper.jar's manifest leaves out.
/// </summary>
public static partial class TlsZkCli
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>The flags of a TLS client with <paramref name="keyStore"/> (a PKCS12 file) and <paramref name="trustStore"/>.</summary>
    public static string TlsFlags(string keyStore, string trustStore, string password)
    {
        var classpath = new List<string>();
        if (Directory.Exists("/etc/zookeeper/conf")) classpath.Add("/etc/zookeeper/conf");
        classpath.Add(DebianFiles.RequireJar("zookeeper.jar", "libzookeeper-java"));
        classpath.AddRange(NettyJavaServer.NettyJars.Select(j => DebianFiles.RequireJar(j.Jar, j.Package)));
        return string.Join(' ',
            "-cp", string.Join(':', classpath),
            "-Dzookeeper.client.secure=true",
            "-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
            "-Dzookeeper.ssl.keyStore.location=" + keyStore,
            "-Dzookeeper.ssl.keyStore.password=" + password,
            "-Dzookeeper.ssl.trustStore.location=" + trustStore,
            "-Dzookeeper.ssl.trustStore.password=" + password);
    }

    /// <summary>
    /// One interactive session: waits for the connection, runs <paramref name="commands"/> in order, and
    /// exits at the end of its input.
    /// </summary>
    public static Task<ZkCliRun> SessionAsync(int port, string clientJvmFlags, IEnumerable<string> commands, CancellationToken ct) =>
        RunAsync(["-server", $"127.0.0.1:{port}", "-waitforconnection", "-timeout", "30000"], clientJvmFlags, commands, ct);

    /// <summary>One command on the command line (zkCli exits 1 when it fails, e.g. on ConnectionLoss).</summary>
    public static Task<ZkCliRun> CommandAsync(int port, string clientJvmFlags, string command, CancellationToken ct) =>
        RunAsync(["-server", $"127.0.0.1:{port}", "-timeout", "5000", .. command.Split(' ')], clientJvmFlags, [], ct);

    private static async Task<ZkCliRun> RunAsync(string[] args, string clientJvmFlags, IEnumerable<string> commands, CancellationToken ct)
    {
        await using var cli = ChildProcess.StartMerged(DebianFiles.ZkCli, args, new ChildProcessOptions
        {
            RedirectStandardInput = true,
            Environment = new Dictionary<string, string?> { ["CLIENT_JVMFLAGS"] = clientJvmFlags, ["TZ"] = "UTC" },
        });
        foreach (string command in commands) await cli.WriteLineAsync(command, ct);
        cli.CloseStandardInput();
        bool exited = await cli.WaitForExitAsync(Timeout, ct);
        if (!exited) await cli.KillAsync();
        return new ZkCliRun(cli.CommandLine, clientJvmFlags, exited ? cli.ExitCode : null, cli.LinesFrom(0));
    }

    /// <summary>
    /// Drops what is not the servers' doing (SLF4J's no-binder notice, the connect banner with its port)
    /// and sorts whoami's identities, which Java keeps in a hash set.
    /// </summary>
    public static IReadOnlyList<string> Normalize(IReadOnlyList<string> lines)
    {
        var kept = lines.Where(l => !l.StartsWith("SLF4J:", StringComparison.Ordinal) && !l.StartsWith("Connecting to ", StringComparison.Ordinal))
            .Select(l => PortPattern().Replace(l, "127.0.0.1:<port>"))
            .ToList();
        int header = kept.IndexOf("Auth scheme: User");
        while (header >= 0)
        {
            int end = header + 1;
            while (end < kept.Count && IdentityLine().IsMatch(kept[end])) end++;
            var identities = kept.GetRange(header + 1, end - header - 1);
            identities.Sort(StringComparer.Ordinal);
            kept.RemoveRange(header + 1, identities.Count);
            kept.InsertRange(header + 1, identities);
            header = kept.IndexOf("Auth scheme: User", end);
        }
        return kept;
    }

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex PortPattern();

    [GeneratedRegex(@"^(ip|x509|super|digest|sasl): ")]
    private static partial Regex IdentityLine();
}
