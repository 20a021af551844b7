using Microsoft.CodeAnalysis;
using ZkCompat.Jute.Generator.Parsing;

namespace ZkCompat.Jute.Generator;

/// <summary>The descriptors behind <see cref="JuteDiagnosticIds"/>.</summary>
public static class JuteDiagnostics
{
    private const string Category = "Jute";

    public static readonly DiagnosticDescriptor SyntaxError = Error(JuteDiagnosticIds.SyntaxError, "Jute syntax error");
    public static readonly DiagnosticDescriptor UnknownType = Error(JuteDiagnosticIds.UnknownType, "Unknown jute record type");
    public static readonly DiagnosticDescriptor DuplicateRecord = Error(JuteDiagnosticIds.DuplicateRecord, "Duplicate jute record");
    public static readonly DiagnosticDescriptor MapNotSupported = Error(JuteDiagnosticIds.MapNotSupported, "map is not supported");
    public static readonly DiagnosticDescriptor DuplicateField = Error(JuteDiagnosticIds.DuplicateField, "Duplicate jute field");
    public static readonly DiagnosticDescriptor RecursiveRecord = Error(JuteDiagnosticIds.RecursiveRecord, "Jute record contains itself");
    public static readonly DiagnosticDescriptor InvalidRootNamespace = Error(JuteDiagnosticIds.InvalidRootNamespace, "Invalid JuteRootNamespace");
    public static readonly DiagnosticDescriptor ReservedRecordName = Error(JuteDiagnosticIds.ReservedRecordName, "Reserved jute record name");
    public static readonly DiagnosticDescriptor InternalError = Error(JuteDiagnosticIds.InternalError, "Jute generator failure");

    public static DiagnosticDescriptor ForId(string id) => id switch
    {
        JuteDiagnosticIds.SyntaxError => SyntaxError,
        JuteDiagnosticIds.UnknownType => UnknownType,
        JuteDiagnosticIds.DuplicateRecord => DuplicateRecord,
        JuteDiagnosticIds.MapNotSupported => MapNotSupported,
        JuteDiagnosticIds.DuplicateField => DuplicateField,
        JuteDiagnosticIds.RecursiveRecord => RecursiveRecord,
        JuteDiagnosticIds.InvalidRootNamespace => InvalidRootNamespace,
        JuteDiagnosticIds.ReservedRecordName => ReservedRecordName,
        _ => InternalError,
    };

    public static Diagnostic Create(JuteDiagnosticInfo info) =>
        Diagnostic.Create(ForId(info.Id), info.Location?.ToLocation() ?? Location.None, info.Message);

    private static DiagnosticDescriptor Error(string id, string title) =>
        new(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
