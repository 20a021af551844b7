using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ZkCompat.Server.Tests.Metrics;

/// <summary>One sample line: the sample's own name (with _sum/_count), its labels and value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string? Label(string name) => Labels.GetValueOrDefault(name);
}

/// <summary>A metric family: # HELP, # TYPE and the samples that follow them.</summary>
public sealed class PrometheusFamily(string name, string type, string? help)
{
    public string Name { get; } = name;
    public string Type { get; } = type;
    public string? Help { get; } = help;
    public List<PrometheusSample> Samples { get; } = [];

    /// <summary>The value of the sample called <paramref name="sampleName"/> with no labels.</summary>
    public double Value(string? sampleName = null) =>
        Samples.Single(s => s.Name == (sampleName ?? Name) && s.Labels.Count == 0).Value;

    /// <summary>A summary's quantile labels, in the order written.</summary>
    public IReadOnlyList<string> Quantiles => [.. Samples.Where(s => s.Name == Name && s.Label("quantile") is not null).Select(s => s.Label("quantile")!)];
}

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4 (no NuGet parser for it is
/// maintained): every line must be a comment, HELP, TYPE or a well-formed sample; a family's TYPE comes
/// before its samples and at most once; samples of a family are contiguous and belong to it by the
/// format's suffix rules (<c>_sum</c>, <c>_count</c> for summaries); label values use the format's escapes.
/// </summary>
public static partial class PrometheusText
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "summary", "histogram", "untyped"];

    public static IReadOnlyDictionary<string, PrometheusFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition must end with a line feed");
        var families = new Dictionary<string, PrometheusFamily>(StringComparer.Ordinal);
        var helps = new Dictionary<string, string>(StringComparer.Ordinal);
        PrometheusFamily? current = null;
        int lineNumber = 0;
        foreach (string line in text.Split('\n')[..^1])
        {
            lineNumber++;
            string Where() => $"line {lineNumber}: '{line}'";
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var help = HelpLine().Match(line);
                var type = TypeLine().Match(line);
                if (help.Success)
                {
                    if (!helps.TryAdd(help.Groups[1].Value, help.Groups[2].Value)) throw new FormatException("HELP twice, " + Where());
                }
                else if (type.Success)
                {
                    string name = type.Groups[1].Value;
                    if (!Types.Contains(type.Groups[2].Value)) throw new FormatException("unknown type, " + Where());
                    if (families.ContainsKey(name)) throw new FormatException("TYPE twice, " + Where());
                    current = new PrometheusFamily(name, type.Groups[2].Value, helps.GetValueOrDefault(name));
                    families.Add(name, current);
                }
                else if (line.StartsWith("# HELP", StringComparison.Ordinal) || line.StartsWith("# TYPE", StringComparison.Ordinal))
                {
                    throw new FormatException("malformed HELP/TYPE, " + Where());
                }
                continue;
            }

            var sample = ParseSample(line) ?? throw new FormatException("malformed sample, " + Where());
            if (current is null || !BelongsTo(current, sample.Name))
                throw new FormatException($"sample outside its family (after # TYPE {current?.Name}), " + Where());
            current.Samples.Add(sample);
        }
        return families;
    }

    private static bool BelongsTo(PrometheusFamily family, string sampleName) =>
        sampleName == family.Name
        || (family.Type is "summary" or "histogram" && (sampleName == family.Name + "_sum" || sampleName == family.Name + "_count"))
        || (family.Type == "histogram" && sampleName == family.Name + "_bucket");

    private static PrometheusSample? ParseSample(string line)
    {
        var m = SampleLine().Match(line);
        if (!m.Success) return null;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (m.Groups[2].Success && !ParseLabels(m.Groups[2].Value, labels)) return null;
        if (!TryParseValue(m.Groups[3].Value, out double value)) return null;
        return new PrometheusSample(m.Groups[1].Value, labels, value);
    }

    private static bool ParseLabels(string body, Dictionary<string, string> labels)
    {
        int i = 0;
        while (i < body.Length)
        {
            var name = LabelName().Match(body, i);
            if (!name.Success || name.Index != i) return false;
            i += name.Length;
            if (i + 1 >= body.Length || body[i] != '=' || body[i + 1] != '"') return false;
            i += 2;
            var value = new StringBuilder();
            while (true)
            {
                if (i >= body.Length) return false;
                char c = body[i++];
                if (c == '"') break;
                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }
                if (i >= body.Length) return false;
                char escaped = body[i++];
                value.Append(escaped switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => '\0' });
                if (escaped is not ('n' or '\\' or '"')) return false;
            }
            if (!labels.TryAdd(name.Value, value.ToString())) return false;
            if (i == body.Length) break;
            if (body[i] != ',') return false;
            i++; // a trailing comma is allowed (Java's simpleclient writes one)
        }
        return true;
    }

    private static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "NaN": value = double.NaN; return true;
            case "+Inf": value = double.PositiveInfinity; return true;
            case "-Inf": value = double.NegativeInfinity; return true;
        }
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    [GeneratedRegex(@"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$")]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) ([a-z]+)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"[a-zA-Z_][a-zA-Z0-9_]*")]
    private static partial Regex LabelName();
}
