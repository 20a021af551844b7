using System.Diagnostics.Metrics;
using System.Globalization;
using ZkCompat.Server.Network.Commands;

namespace ZkCompat.Server.Metrics;

/// <summary>
/// Every numeric value mntr prints, but for the summaries' avg/min/max/cnt/sum/pNN keys, as an
/// observable instrument: mntr's counters as observable counters, the rest (Java's gauges, the role's
/// gauges included) as observable gauges. Each reads mntr's own value list
/// (<see cref="MonitorCommand.Values"/>) for the server <see cref="ServerSource"/> names, so the two
/// agree; with no server (electing, syncing) they report nothing, as Java's gauges are unregistered then.
/// </summary>
public sealed class MonitorInstruments : IDisposable
{
    public const string MeterName = "ZkCompat.Server.Monitor";

    private readonly Lock _lock = new();
    private readonly HashSet<string> _created = new(StringComparer.Ordinal);
    private volatile IReadOnlyDictionary<string, double>? _pinned;

    /// <summary>One meter per instance, so servers sharing a process (tests) keep apart.</summary>
    public Meter Meter { get; } = new(MeterName);

    /// <summary>The server mntr would answer for now; null while none serves.</summary>
    public Func<ZooKeeperServer?> ServerSource { get; set; } = () => null;

    /// <summary>
    /// Reads mntr's values once, creates instruments for names not seen before, and runs
    /// <paramref name="observe"/> (which polls the instruments) against that one reading, so everything
    /// it observes is from the same moment.
    /// </summary>
    public void Observe(Action observe)
    {
        lock (_lock)
        {
            var values = Read();
            foreach (string name in values.Keys) EnsureInstrument(name);
            _pinned = values;
            try
            {
                observe();
            }
            finally
            {
                _pinned = null;
            }
        }
    }

    /// <summary>mntr's numeric values by name (without zk_), summaries left out; empty when no server serves.</summary>
    public IReadOnlyDictionary<string, double> Read()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (ServerSource() is not { } zks) return result;
        IReadOnlyList<KeyValuePair<string, string>> values;
        try
        {
            values = MonitorCommand.Values(new FourLetterWordContext(zks, requester: null));
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or IOException)
        {
            // A server on its way down: report it as not serving rather than fail the scrape.
            return result;
        }
        foreach (var (key, text) in values)
        {
            // version, server_state and peer_state are text: Java keeps them out of its metrics too.
            if (MetricCatalog.IsSummaryKey(key)) continue;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) result[key] = value;
        }
        return result;
    }

    private void EnsureInstrument(string name)
    {
        if (!_created.Add(name)) return;
        if (MetricCatalog.IsCounter(name)) Meter.CreateObservableCounter(name, () => Measure<long>(name, v => (long)v));
        else Meter.CreateObservableGauge(name, () => Measure<double>(name, v => v));
    }

    private IEnumerable<Measurement<T>> Measure<T>(string name, Func<double, T> convert) where T : struct
    {
        // Outside Observe (another listener polling) each instrument reads for itself.
        var values = _pinned ?? Read();
        return values.TryGetValue(name, out double value) ? [new Measurement<T>(convert(value))] : [];
    }

    public void Dispose() => Meter.Dispose();
}
