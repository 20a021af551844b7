using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace ZkCompat.Jute.Generator.Parsing;

/// <summary>
/// A span of a .jute file: character offset and length plus 0-based line/column of both ends
/// (columns count UTF-16 code units, as Roslyn's <see cref="LinePosition"/> does).
/// </summary>
public sealed record JuteLocation(
    string Path,
    int Start,
    int Length,
    int StartLine,
    int StartColumn,
    int EndLine,
    int EndColumn)
{
    public Location ToLocation() => Location.Create(
        Path,
        new TextSpan(Start, Length),
        new LinePositionSpan(new LinePosition(StartLine, StartColumn), new LinePosition(EndLine, EndColumn)));

    /// <summary>An empty span at the end of this one.</summary>
    public JuteLocation AtEnd() => new(Path, Start + Length, 0, EndLine, EndColumn, EndLine, EndColumn);

    public override string ToString() => $"{Path}({StartLine + 1},{StartColumn + 1})";
}

/// <summary>A diagnostic found while parsing or binding, kept as plain data for pipeline caching.</summary>
public sealed record JuteDiagnosticInfo(string Id, string Message, JuteLocation? Location)
{
    public override string ToString() => $"{Location}: {Id}: {Message}";
}

/// <summary>The diagnostic ids the generator reports.</summary>
public static class JuteDiagnosticIds
{
    public const string SyntaxError = "JUTE001";
    public const string UnknownType = "JUTE002";
    public const string DuplicateRecord = "JUTE003";
    public const string MapNotSupported = "JUTE004";
    public const string DuplicateField = "JUTE005";
    public const string RecursiveRecord = "JUTE006";
    public const string InvalidRootNamespace = "JUTE007";
    public const string ReservedRecordName = "JUTE008";
    public const string InternalError = "JUTE999";
}
