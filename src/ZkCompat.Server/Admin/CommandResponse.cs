namespace ZkCompat.Server.Admin;

/// <summary>
/// What one admin command answers (Java's <c>CommandResponse</c>): the command's name, an error or
/// null, and its own fields in the order they were put. Values are JSON-shaped: null, string, bool,
/// integers, double, <see cref="JsonNumber"/>, <see cref="OrderedDictionary{TKey,TValue}"/> (an object) or
/// any other sequence (an array); <see cref="JsonOutputter"/> writes them.
/// </summary>
public sealed class CommandResponse(string command, string? error = null)
{
    public const string KeyCommand = "command";
    public const string KeyError = "error";

    /// <summary>The primary name for a command that ran; the name as asked for an unknown or refused one.</summary>
    public string Command { get; } = command;

    public string? Error { get; } = error;

    public OrderedDictionary<string, object?> Data { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a field, or replaces its value where it already stands.</summary>
    public CommandResponse Put(string key, object? value)
    {
        Data[key] = value;
        return this;
    }

    /// <summary>
    /// The JSON object: the command's fields first, then <c>command</c> and <c>error</c>. A field of its
    /// own called <c>error</c> (stmk's refusal) keeps its place and wins over the null one, as Java's
    /// <c>toMap</c> has it.
    /// </summary>
    public OrderedDictionary<string, object?> ToMap()
    {
        var map = new OrderedDictionary<string, object?>(Data, StringComparer.Ordinal);
        map[KeyCommand] = Command;
        map[KeyError] = Error;
        foreach (var (key, value) in Data) map[key] = value;
        return map;
    }
}

/// <summary>A number already in its JSON (Java <c>toString</c>) form, e.g. a double from mntr's text.</summary>
public readonly record struct JsonNumber(string Text)
{
    /// <summary>The value of a mntr line as Java's map holds it: a number when it reads as one, else the text.</summary>
    public static object FromText(string text)
    {
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long integer))
            return integer;
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double real)
            && double.IsFinite(real) && text.Length > 0 && (char.IsDigit(text[0]) || text[0] == '-'))
            return new JsonNumber(text);
        return text;
    }
}
