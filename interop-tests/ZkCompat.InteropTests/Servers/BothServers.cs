using NUnit.Framework;

namespace ZkCompat.InteropTests.Servers;

/// <summary>What one client run against one server produced, with the server's log for failure messages.</summary>
public sealed record ServerRun<T>(ServerKind Kind, T Result, string ServerLog)
{
    /// <summary>The last <paramref name="lines"/> lines of the server log.</summary>
    public string LogTail(int lines = 60)
    {
        string[] all = ServerLog.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}

/// <summary>
/// Runs the same client scenario against a fresh Java server and then a fresh ZkCompat server, both
/// configured alike. Java goes first and its result is checked on its own, so a broken scenario is
/// reported as such before ZkCompat is involved.
/// </summary>
public static class BothServers
{
    public static async Task<(ServerRun<T> Java, ServerRun<T> ZkCompat)> RunAsync<T>(
        Func<IZooKeeperProcess, Task<T>> scenario,
        Action<ServerRun<T>> checkJava,
        Action<ZooCfg>? configure = null,
        CancellationToken cancellationToken = default)
    {
        ServerRun<T> java = await RunOnAsync(ServerKind.Java, scenario, configure, cancellationToken).ConfigureAwait(false);
        checkJava(java);
        ServerRun<T> zkCompat = await RunOnAsync(ServerKind.ZkCompat, scenario, configure, cancellationToken).ConfigureAwait(false);
        return (java, zkCompat);
    }

    public static async Task<ServerRun<T>> RunOnAsync<T>(ServerKind kind, Func<IZooKeeperProcess, Task<T>> scenario,
        Action<ZooCfg>? configure = null, CancellationToken cancellationToken = default)
    {
        await using IZooKeeperProcess server = await ZooKeeperProcesses.StartAsync(kind, configure, cancellationToken).ConfigureAwait(false);
        try
        {
            T result = await scenario(server).ConfigureAwait(false);
            return new ServerRun<T>(kind, result, server.LogText);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The test's overall time limit: say so, with the server's side of the story.
            Assert.Fail($"The scenario against {kind} ran out of time and was cancelled.\n--- {kind} server log ---\n{server.LogText}");
            throw; // unreachable: Assert.Fail throws
        }
    }
}
