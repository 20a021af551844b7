namespace ZkCompat.InteropTests.Support;

/// <summary>
/// Replaces values that differ from run to run (zxids, session ids) by labels numbered in order of first
/// appearance: equal values keep equal labels, so "pZxid is the child's cZxid" survives normalisation
/// while the absolute numbers, which depend on the server's history, do not have to match.
/// </summary>
public sealed class OrdinalLabels(string prefix)
{
    private readonly Dictionary<string, string> _labels = new(StringComparer.OrdinalIgnoreCase);

    public string For(string value)
    {
        if (!_labels.TryGetValue(value, out string? label))
        {
            label = $"<{prefix}{_labels.Count + 1}>";
            _labels.Add(value, label);
        }
        return label;
    }
}
