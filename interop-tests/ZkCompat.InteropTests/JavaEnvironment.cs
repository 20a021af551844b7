using System.Diagnostics;
using System.Text;
using NUnit.Framework;

namespace ZkCompat.InteropTests;

/// <summary>What a finished (or killed) child process left behind.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StdOut, string StdErr, bool TimedOut, TimeSpan Elapsed)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    /// <summary>Fails the test unless the process exited 0 in time, showing its output.</summary>
    public ProcessResult EnsureSuccess(string what)
    {
        if (!Succeeded) Assert.Fail($"{what} failed: {Describe()}");
        return this;
    }

    public string Describe() =>
        (TimedOut ? $"timed out after {Elapsed.TotalSeconds:F0}s and was killed" : $"exit code {ExitCode}")
        + $"\ncommand: {Command}\n--- stdout ---\n{StdOut}\n--- stderr ---\n{StdErr}";
}

/// <summary>
/// The Java toolchain and ZooKeeper jars interop tests run against. <c>java</c>/<c>javac</c> come from
/// <c>JAVA_HOME/bin</c> if set, else PATH; jars from <c>ZKCOMPAT_JAVA_LIB</c>, default
/// <c>/usr/share/java</c> (Debian's layout). Anything missing fails the test with a message saying what
/// to install: interop tests are never silently skipped.
/// </summary>
public sealed class JavaEnvironment
{
    public const string LibDirectoryVariable = "ZKCOMPAT_JAVA_LIB";
    public const string DefaultLibDirectory = "/usr/share/java";
    public const string JdkPackage = "openjdk-17-jdk-headless";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private static readonly Lazy<JavaEnvironment> LazyDefault = new(() => new JavaEnvironment());

    private JavaEnvironment()
    {
        string? home = Environment.GetEnvironmentVariable("JAVA_HOME");
        JavaHome = string.IsNullOrWhiteSpace(home) ? null : home;
        string? lib = Environment.GetEnvironmentVariable(LibDirectoryVariable);
        LibDirectory = string.IsNullOrWhiteSpace(lib) ? DefaultLibDirectory : lib;
    }

    /// <summary>The environment as the process variables describe it.</summary>
    public static JavaEnvironment Default => LazyDefault.Value;

    public string? JavaHome { get; }

    /// <summary>Where jars are looked up.</summary>
    public string LibDirectory { get; }

    /// <summary>The <c>java</c> launcher; fails the test if there is none.</summary>
    public string Java => FindTool("java");

    /// <summary>The <c>javac</c> compiler; fails the test if there is none.</summary>
    public string Javac => FindTool("javac");

    /// <summary>The full path of jar <paramref name="fileName"/> in <see cref="LibDirectory"/>; fails the test if absent.</summary>
    public string RequireJar(string fileName)
    {
        string path = Path.Combine(LibDirectory, fileName);
        if (!File.Exists(path))
        {
            string? package = DebianPackageFor(fileName);
            string install = package is null
                ? $"Install the Debian package that ships {fileName} (find it with: apt-file search {fileName})"
                : $"Install the Debian package '{package}' (sudo apt-get install {package})";
            Assert.Fail(
                $"Required jar '{path}' is missing. {install}, " +
                $"or point {LibDirectoryVariable} at a directory holding {fileName}.");
        }
        return path;
    }

    /// <summary>A classpath of the given jars (each checked with <see cref="RequireJar"/>) plus extra entries.</summary>
    public string Classpath(IEnumerable<string> jarNames, params string[] extraEntries) =>
        string.Join(Path.PathSeparator, extraEntries.Concat(jarNames.Select(RequireJar)));

    /// <summary>Compiles <paramref name="sourceFiles"/> into <paramref name="outDir"/> (created if needed).</summary>
    public ProcessResult CompileJava(IEnumerable<string> sourceFiles, string classpath, string outDir, TimeSpan? timeout = null)
    {
        Directory.CreateDirectory(outDir);
        var args = new List<string> { "-encoding", "UTF-8", "-nowarn", "-d", outDir };
        if (!string.IsNullOrEmpty(classpath))
        {
            args.Add("-cp");
            args.Add(classpath);
        }
        args.AddRange(sourceFiles);
        return Run(Javac, args, timeout ?? DefaultTimeout);
    }

    /// <summary>Runs <c>java -cp classpath mainClass args...</c> with a hard timeout.</summary>
    public ProcessResult RunJava(string classpath, string mainClass, IEnumerable<string> args, TimeSpan timeout,
        IEnumerable<string>? jvmOptions = null, string? workingDirectory = null)
    {
        var all = new List<string> { "-Dfile.encoding=UTF-8" };
        if (jvmOptions is not null) all.AddRange(jvmOptions);
        all.Add("-cp");
        all.Add(classpath);
        all.Add(mainClass);
        all.AddRange(args);
        return Run(Java, all, timeout, workingDirectory);
    }

    /// <summary>
    /// Runs a process, reading stdout and stderr asynchronously (so a chatty child cannot block on a
    /// full pipe); after <paramref name="timeout"/> the whole process tree is killed.
    /// </summary>
    public static ProcessResult Run(string fileName, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        string command = fileName + " " + string.Join(' ', psi.ArgumentList.Select(Quote));

        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Assert.Fail($"Cannot start '{fileName}': {e.Message}");
            throw; // unreachable: Assert.Fail throws
        }

        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        bool timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                process.WaitForExitAsync(cts.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // it exited between the timeout and the kill
                }
                process.WaitForExit();
            }
        }
        // Once the process is gone its pipes close; give the readers a bounded moment to drain.
        string Drain(Task<string> task) => task.Wait(TimeSpan.FromSeconds(10)) ? task.Result : "<output not drained>";
        string outText = Drain(stdout);
        string errText = Drain(stderr);
        stopwatch.Stop();
        return new ProcessResult(command, process.ExitCode, outText, errText, timedOut, stopwatch.Elapsed);
    }

    private string FindTool(string name)
    {
        string exe = OperatingSystem.IsWindows() ? name + ".exe" : name;
        if (JavaHome is not null)
        {
            string candidate = Path.Combine(JavaHome, "bin", exe);
            if (File.Exists(candidate)) return candidate;
        }
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail(
            $"'{name}' was not found in JAVA_HOME/bin ({JavaHome ?? "JAVA_HOME unset"}) or on PATH. " +
            $"Install the Debian package '{JdkPackage}' (sudo apt-get install {JdkPackage}) or set JAVA_HOME.");
        return name; // unreachable: Assert.Fail throws
    }

    private static string? DebianPackageFor(string jarName)
    {
        if (jarName.StartsWith("zookeeper", StringComparison.Ordinal)) return "libzookeeper-java";
        if (jarName.StartsWith("slf4j", StringComparison.Ordinal)) return "libslf4j-java";
        if (jarName.StartsWith("netty", StringComparison.Ordinal)) return "libnetty-java";
        if (jarName.StartsWith("log4j", StringComparison.Ordinal)) return "liblog4j2-java";
        return null;
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && !arg.Any(c => char.IsWhiteSpace(c) || c == '"' || c == '\'') ? arg : "'" + arg.Replace("'", "'\\''") + "'";
}
