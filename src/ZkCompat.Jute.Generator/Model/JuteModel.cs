using ZkCompat.Jute.Generator.Parsing;

namespace ZkCompat.Jute.Generator.Model;

/// <summary>
/// A resolved field type. <see cref="ClrName"/> is the global::-qualified C# type of a record,
/// <see cref="IdlName"/> its fully qualified IDL name, <see cref="MinSize"/> the fewest bytes one
/// value of this type takes on the wire.
/// </summary>
public sealed record TypeModel(
    JuteTypeSyntaxKind Kind,
    TypeModel? Element,
    string? ClrName,
    string? IdlName,
    int MinSize)
{
    /// <summary>The encoded size when it does not depend on the value, else null.</summary>
    public int? FixedSize => Kind switch
    {
        JuteTypeSyntaxKind.Byte or JuteTypeSyntaxKind.Boolean => 1,
        JuteTypeSyntaxKind.Int or JuteTypeSyntaxKind.Float => 4,
        JuteTypeSyntaxKind.Long or JuteTypeSyntaxKind.Double => 8,
        _ => null,
    };
}

/// <summary>A field: IDL name, C# property name (raw and as an escaped identifier) and type.</summary>
public sealed record FieldModel(string IdlName, string PropertyName, string PropertyIdentifier, TypeModel Type);

/// <summary>Everything needed to emit one record, self-contained so each record caches on its own.</summary>
public sealed record RecordModel(
    string Module,
    string IdlName,
    string Namespace,
    string ClassIdentifier,
    string HintName,
    EquatableArray<FieldModel> Fields)
{
    public string FullIdlName => Module + "." + IdlName;

    public string ClrName => "global::" + Namespace + "." + ClassIdentifier;
}

/// <summary>The bound model of all .jute files of a compilation.</summary>
public sealed record JuteCompilationModel(
    string RootNamespace,
    bool HasJuteFiles,
    EquatableArray<RecordModel> Records,
    EquatableArray<JuteDiagnosticInfo> Diagnostics);
