using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// SIGTERM, which .NET's <see cref="Process"/> cannot send (its Kill is SIGKILL): a clean stop is what
/// <c>zkServer.sh stop</c> does, and both servers must survive it with their data intact.
/// </summary>
internal static class PosixSignals
{
    private const int SigTerm = 15;

    /// <summary>Asks process <paramref name="pid"/> to terminate; on Windows, where there is no SIGTERM, kills it.</summary>
    public static void Terminate(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            return;
        }
        // ESRCH (already gone) is fine: the caller waits for the exit either way.
        _ = kill(pid, SigTerm);
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for one call
    private static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
}
