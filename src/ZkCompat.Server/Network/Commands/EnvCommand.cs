using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// envi (Java's <c>EnvCommand</c> over <c>Environment.list</c>): the same keys in the same order.
/// The java.* keys describe the runtime we run on, .NET, as the nearest honest equivalent; a key
/// with no value prints <c>&lt;NA&gt;</c> as in Java.
/// </summary>
public static class EnvCommand
{
    private const string NotAvailable = "<NA>";

    public static void Run(FourLetterWordContext c)
    {
        c.Println("Environment:");
        foreach (var (key, value) in List()) c.Print(key).Print("=").Println(value);
    }

    public static IReadOnlyList<KeyValuePair<string, string>> List()
    {
        var memory = GC.GetGCMemoryInfo();
        const long mb = 1024 * 1024;
        // Java reports its heap: free inside the committed heap, the most it may grow to, and committed.
        long used = GC.GetTotalMemory(forceFullCollection: false);
        // Before the first collection the GC reports nothing committed; the heap in use is then the floor.
        long committed = Math.Max(memory.TotalCommittedBytes, used);
        return
        [
            new("zookeeper.version", FourLetterWords.Version),
            new("host.name", HostName()),
            // The .NET runtime version stands in for the JVM's.
            new("java.version", Environment.Version.ToString()),
            new("java.vendor", typeof(object).Assembly.GetCustomAttribute<AssemblyCompanyAttribute>()?.Company ?? NotAvailable),
            // The shared framework folder the runtime was loaded from.
            new("java.home", TrimSeparator(RuntimeEnvironment.GetRuntimeDirectory())),
            new("java.class.path", ClassPath()),
            new("java.library.path", LibraryPath()),
            new("java.io.tmpdir", TrimSeparator(Path.GetTempPath())),
            // .NET always JIT-compiles (RyuJIT); Java prints <NA> when no java.compiler is set.
            new("java.compiler", NotAvailable),
            new("os.name", OsName()),
            new("os.arch", OsArch()),
            new("os.version", OsVersion()),
            new("user.name", Environment.UserName),
            new("user.home", Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)),
            new("user.dir", Environment.CurrentDirectory),
            new("os.memory.free", Math.Max(0, committed - used) / mb + "MB"),
            new("os.memory.max", memory.TotalAvailableMemoryBytes / mb + "MB"),
            new("os.memory.total", committed / mb + "MB"),
        ];
    }

    /// <summary>
    /// InetAddress.getLocalHost().getCanonicalHostName(): the host name resolved to an address, then
    /// that address looked up again; the address itself when the reverse lookup fails, and
    /// <c>&lt;NA&gt;</c> when the host name does not resolve.
    /// </summary>
    private static string HostName()
    {
        IPAddress address;
        try
        {
            var addresses = Dns.GetHostAddresses(Dns.GetHostName());
            if (addresses.Length == 0) return NotAvailable;
            address = addresses[0];
        }
        catch (SocketException)
        {
            return NotAvailable;
        }
        try
        {
            return Dns.GetHostEntry(address).HostName;
        }
        catch (SocketException)
        {
            return address.ToString();
        }
    }

    /// <summary>Our own assemblies, the counterpart of the jars on Java's class path.</summary>
    private static string ClassPath()
    {
        if (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") is not string all) return NotAvailable;
        string appDir = AppContext.BaseDirectory;
        var own = all.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => p.StartsWith(appDir, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        return string.Join(Path.PathSeparator, own);
    }

    /// <summary>Where the runtime looks for native libraries, the counterpart of Java's library path.</summary>
    private static string LibraryPath()
    {
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is not string all) return NotAvailable;
        var dirs = all.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(TrimSeparator);
        string joined = string.Join(Path.PathSeparator, dirs);
        return joined.Length > 0 ? joined : NotAvailable;
    }

    /// <summary>The os.name values Java uses for the platforms .NET runs on.</summary>
    private static string OsName()
    {
        if (OperatingSystem.IsLinux()) return "Linux";
        if (OperatingSystem.IsMacOS()) return "Mac OS X";
        if (OperatingSystem.IsFreeBSD()) return "FreeBSD";
        if (OperatingSystem.IsWindows()) return "Windows";
        return RuntimeInformation.OSDescription;
    }

    /// <summary>Java's os.arch names: amd64, aarch64, x86, arm.</summary>
    private static string OsArch() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "aarch64",
        Architecture.X86 => "x86",
        Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>On Linux Java prints the kernel release (uname -r), which .NET's OSVersion truncates.</summary>
    private static string OsVersion()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/sys/kernel/osrelease"))
                return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return Environment.OSVersion.Version.ToString();
    }

    private static string TrimSeparator(string path) =>
        path.Length > 1 ? path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) : path;
}
