using System.Diagnostics;
using System.Text;

namespace ZkCompat.InteropTests.Support;

/// <summary>
/// An external process whose stdout and stderr are read line by line, as they arrive, into one ordered
/// list; callers wait for lines matching a condition (with a timeout) instead of sleeping. Disposing
/// kills the whole process tree, so nothing outlives the test that started it.
/// </summary>
/// <remarks>
/// The two pipes are read independently, so lines of stdout and stderr may be reordered against each
/// other. Callers that need one faithful order (zkCli, cli_mt) start the tool through
/// <see cref="StartMerged"/>, which makes the shell point stderr at the stdout pipe.
/// </remarks>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly object _gate = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private TaskCompletionSource _changed = NewSignal();
    private bool _disposed;

    private ChildProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        _stdoutPump = PumpAsync(process.StandardOutput);
        _stderrPump = PumpAsync(process.StandardError);
    }

    /// <summary>How the process was started, for failure messages.</summary>
    public string CommandLine { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Exit code; only meaningful once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>The number of lines captured so far.</summary>
    public int LineCount
    {
        get
        {
            lock (_gate) return _lines.Count;
        }
    }

    /// <summary>Everything captured so far, one line per line.</summary>
    public string Output
    {
        get
        {
            lock (_gate) return string.Join('\n', _lines);
        }
    }

    /// <summary>A copy of the captured lines from <paramref name="fromIndex"/> on.</summary>
    public IReadOnlyList<string> LinesFrom(int fromIndex)
    {
        lock (_gate) return _lines.Skip(fromIndex).ToArray();
    }

    /// <summary>Starts <paramref name="fileName"/> with stdout and stderr captured.</summary>
    public static ChildProcess Start(string fileName, IEnumerable<string> args, ChildProcessOptions? options = null)
    {
        options ??= new ChildProcessOptions();
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = options.RedirectStandardInput,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (options.WorkingDirectory is not null) psi.WorkingDirectory = options.WorkingDirectory;
        foreach (var (name, value) in options.Environment)
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }

        string commandLine = fileName + " " + string.Join(' ', psi.ArgumentList.Select(ShellQuote));
        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new InvalidOperationException($"Cannot start '{commandLine}': {e.Message}", e);
        }
        if (options.RedirectStandardInput)
        {
            // Tools read commands line by line; each line must reach them as soon as it is written.
            process.StandardInput.AutoFlush = true;
            process.StandardInput.NewLine = "\n";
        }
        return new ChildProcess(process, commandLine);
    }

    /// <summary>
    /// Starts the tool through <c>/bin/sh</c> with stderr redirected into stdout, so that both streams
    /// reach us through one pipe in the order the tool wrote them.
    /// </summary>
    public static ChildProcess StartMerged(string fileName, IEnumerable<string> args, ChildProcessOptions? options = null) =>
        Start("/bin/sh", new[] { "-c", "exec \"$0\" \"$@\" 2>&1", fileName }.Concat(args), options);

    /// <summary>Writes one line to the process's stdin.</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken = default)
    {
        await _process.StandardInput.WriteAsync((line + "\n").AsMemory(), cancellationToken).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes stdin: the tool sees end of input.</summary>
    public void CloseStandardInput() => _process.StandardInput.Close();

    /// <summary>
    /// Waits until <paramref name="condition"/> holds for the lines captured from <paramref name="fromIndex"/>
    /// on. The condition is re-evaluated whenever a line arrives. Returns false on timeout, or once the
    /// process has exited and all its output is in without the condition holding.
    /// </summary>
    public async Task<bool> WaitForLinesAsync(int fromIndex, Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_lines.Skip(fromIndex).ToArray())) return true;
                changed = _changed.Task;
            }
            if (OutputComplete) return false;
            TimeSpan remaining = timeout - deadline.Elapsed;
            if (remaining <= TimeSpan.Zero) return false;
            try
            {
                await changed.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // loop once more: the condition may have become true just now
            }
        }
    }

    /// <summary>Waits for a new line, for exit, or for at most <paramref name="maxWait"/>, whichever comes first.</summary>
    public async Task WaitForActivityAsync(TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        Task changed;
        lock (_gate) changed = _changed.Task;
        if (OutputComplete) return;
        try
        {
            await changed.WaitAsync(maxWait, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // nothing happened within maxWait; the caller polls again
        }
    }

    /// <summary>Waits for the process to exit and its output to be drained; false on timeout (the process keeps running).</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
        await DrainAsync().ConfigureAwait(false);
        return true;
    }

    /// <summary>Kills the process and all its descendants, then waits for the pipes to drain.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it exited between the check and the kill
        }
        try
        {
            await _process.WaitForExitAsync().WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // a process that survives SIGKILL for 10 s is beyond our help; report what we have
        }
        await DrainAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await KillAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    private bool OutputComplete => _stdoutPump.IsCompleted && _stderrPump.IsCompleted;

    private async Task DrainAsync()
    {
        try
        {
            // A grandchild that inherited our pipes could keep them open; do not wait for it forever.
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Append("<output not fully drained>");
        }
    }

    private async Task PumpAsync(StreamReader reader)
    {
        // Yield first so that the constructor returns before the first line is appended.
        await Task.Yield();
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
                Append(line);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // the process went away under us; what we read so far stays
        }
        finally
        {
            Signal();
        }
    }

    private void Append(string line)
    {
        lock (_gate) _lines.Add(line);
        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource toComplete;
        lock (_gate)
        {
            toComplete = _changed;
            _changed = NewSignal();
        }
        toComplete.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string ShellQuote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./:=,+@%".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''") + "'";
}

/// <summary>How to start a <see cref="ChildProcess"/>.</summary>
public sealed class ChildProcessOptions
{
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables to set (or, with a null value, to remove) in the child's environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public bool RedirectStandardInput { get; init; }
}
