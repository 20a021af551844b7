using System.Diagnostics;
using System.Globalization;

namespace ZkCompat.Bench;

/// <summary>The server under test as an OS process: its memory, a crash (SIGKILL) and a restart.</summary>
public static class ServerProcess
{
    public static int ReadPid(string pidFile) =>
        int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);

    /// <summary>VmRSS from /proc/&lt;pid&gt;/status in MiB, or null if it cannot be read.</summary>
    public static double? ResidentMegabytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                string kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>SIGKILL, then waits (bounded) until the process is gone or a zombie.</summary>
    public static async Task KillAsync(int pid, TimeProvider time, TimeSpan maxWait)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
            return; // already gone
        }
        long start = time.GetTimestamp();
        while (IsAlive(pid))
        {
            if (time.GetElapsedTime(start) > maxWait) throw new TimeoutException($"pid {pid} survived SIGKILL for {maxWait}");
            await Task.Delay(TimeSpan.FromMilliseconds(5), time);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("State:", StringComparison.Ordinal)) return !line.Contains('Z');
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Runs the restart command (which must put the server in the background and return).</summary>
    public static async Task RunRestartCommandAsync(string command, TimeProvider time, TimeSpan maxWait)
    {
        var start = new ProcessStartInfo("/bin/bash") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start /bin/bash");
        using var timeout = new CancellationTokenSource(maxWait, time);
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"restart command exited with {process.ExitCode}");
    }
}
