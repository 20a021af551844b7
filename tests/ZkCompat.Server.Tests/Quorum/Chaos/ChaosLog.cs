using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ZkCompat.Server.Tests.Quorum.Chaos;

/// <summary>
/// One time-ordered log for a whole chaos run: every peer's log lines (tagged with its sid), the
/// faults as they are injected and what the clients saw. Bounded (the newest lines are kept), so a
/// long run cannot eat the test host's memory; written out when a run fails.
/// </summary>
internal sealed class ChaosLog
{
    private const int Capacity = 40_000;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _count;

    public LogLevel MinLevel { get; init; } = LogLevel.Information;

    public void Write(string source, string message)
    {
        _lines.Enqueue($"{_clock.Elapsed.TotalSeconds,8:F3} [{source}] {message}");
        // Trimming races harmlessly with other writers: the queue stays near the cap.
        if (Interlocked.Increment(ref _count) > Capacity && _lines.TryDequeue(out _)) Interlocked.Decrement(ref _count);
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Error-level lines the peers logged, by message (not a verdict: a crash makes some).</summary>
    public ConcurrentDictionary<string, int> Errors { get; } = new(StringComparer.Ordinal);

    /// <summary>Loggers for one peer: its lines are tagged <c>s{sid}</c>.</summary>
    public ILoggerFactory For(string source) => new Factory(this, source);

    public string[] Lines => _lines.ToArray();

    public string Tail(int count)
    {
        var lines = Lines;
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - count)));
    }

    private sealed class Factory(ChaosLog log, string source) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(log, source, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class Logger(ChaosLog log, string source, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= log.MinLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string message = formatter(state, exception);
            if (logLevel >= LogLevel.Error) log.Errors.AddOrUpdate($"{category}: {message.Split('\n')[0]}", 1, (_, n) => n + 1);
            string text = $"{Short(logLevel)} {category}: {message}";
            if (exception is not null) text += $" | {exception.GetType().Name}: {exception.Message}\n{exception.StackTrace}";
            log.Write(source, text);
        }

        private static string Short(LogLevel level) => level switch
        {
            LogLevel.Trace => "TRC",
            LogLevel.Debug => "DBG",
            LogLevel.Information => "INF",
            LogLevel.Warning => "WRN",
            LogLevel.Error => "ERR",
            _ => "CRT",
        };
    }
}
