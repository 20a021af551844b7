namespace ZkCompat.Jute.Generator.Parsing;

public enum JuteTypeSyntaxKind
{
    Byte,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    UString,
    Buffer,
    Vector,
    Map,
    Record,
}

/// <summary>
/// A field type as written. <see cref="Element"/> is the vector element (or map value),
/// <see cref="Key"/> the map key, <see cref="RecordName"/> the record reference as spelled
/// (dotted or bare).
/// </summary>
public sealed record JuteTypeSyntax(
    JuteTypeSyntaxKind Kind,
    JuteLocation Location,
    JuteTypeSyntax? Element = null,
    JuteTypeSyntax? Key = null,
    string? RecordName = null)
{
    public override string ToString() => Kind switch
    {
        JuteTypeSyntaxKind.Vector => $"vector<{Element}>",
        JuteTypeSyntaxKind.Map => $"map<{Key},{Element}>",
        JuteTypeSyntaxKind.Record => RecordName ?? "?",
        JuteTypeSyntaxKind.UString => "ustring",
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

public sealed record JuteFieldSyntax(string Name, JuteLocation NameLocation, JuteTypeSyntax Type);

public sealed record JuteRecordSyntax(string Name, JuteLocation NameLocation, EquatableArray<JuteFieldSyntax> Fields);

public sealed record JuteModuleSyntax(string Name, JuteLocation NameLocation, EquatableArray<JuteRecordSyntax> Records);

/// <summary>
/// One parsed file. Parsing stops at the first syntax error; the records completed before it are
/// kept. <see cref="HasSyntaxErrors"/> tells the binder that unresolved names in this file may be
/// a consequence of that error.
/// </summary>
public sealed record JuteFileSyntax(
    string Path,
    EquatableArray<JuteModuleSyntax> Modules,
    EquatableArray<JuteDiagnosticInfo> Diagnostics,
    bool HasSyntaxErrors);
