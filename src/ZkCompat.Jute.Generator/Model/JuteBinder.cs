using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis.CSharp;
using ZkCompat.Jute.Generator.Parsing;

namespace ZkCompat.Jute.Generator.Model;

/// <summary>
/// Resolves the parsed files into emit-ready records: maps modules to namespaces, resolves record
/// references, and reports (then skips) duplicate records, duplicate fields, maps, unknown and
/// recursive references. A record that refers to a skipped record is skipped too.
/// </summary>
public static class JuteBinder
{
    public const string DefaultRootNamespace = "ZkCompat.Protocol";

    // Members every generated record declares: a property may not take these names.
    private static readonly HashSet<string> ReservedMemberNames = new(StringComparer.Ordinal)
    {
        "Info", "JuteInfo", "Serialize", "Deserialize", "GetSerializedSize", "Equals", "GetHashCode",
        "ToString", "GetType", "MemberwiseClone", "ReferenceEquals", "Finalize",
    };

    // Members a generated record declares itself: a record may not be named like one of them.
    private static readonly HashSet<string> DeclaredMemberNames = new(StringComparer.Ordinal)
    {
        "Info", "JuteInfo", "Serialize", "Deserialize", "GetSerializedSize", "Equals", "GetHashCode", "ToString",
    };

    public static JuteCompilationModel Bind(ImmutableArray<JuteFileSyntax> files, string? rootNamespace)
    {
        var diagnostics = ImmutableArray.CreateBuilder<JuteDiagnosticInfo>();
        foreach (var file in files) diagnostics.AddRange(file.Diagnostics.AsImmutableArray());

        string root = DefaultRootNamespace;
        if (rootNamespace is { } requested && requested.Trim().Length > 0)
        {
            requested = requested.Trim();
            if (IsValidNamespace(requested))
            {
                root = requested;
            }
            else
            {
                diagnostics.Add(new JuteDiagnosticInfo(
                    JuteDiagnosticIds.InvalidRootNamespace,
                    $"JuteRootNamespace '{requested}' is not a valid namespace; using '{DefaultRootNamespace}'",
                    null));
            }
        }
        string rootIdentifier = EscapeNamespace(root);

        // 1. Declarations, first one wins on duplicates (by IDL name or by generated C# name).
        var declarations = new List<Declaration>();
        var byIdlName = new Dictionary<string, Declaration>(StringComparer.Ordinal);
        var byClrName = new Dictionary<string, Declaration>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var module in file.Modules)
            {
                string suffix = ModuleSuffix(module.Name);
                string ns = rootIdentifier + "." + EscapeIdentifier(suffix);
                foreach (var record in module.Records)
                {
                    var declaration = new Declaration(file, module.Name, record, ns, suffix);
                    if (DeclaredMemberNames.Contains(record.Name))
                    {
                        diagnostics.Add(new JuteDiagnosticInfo(
                            JuteDiagnosticIds.ReservedRecordName,
                            $"Record name '{record.Name}' clashes with a member every generated record declares; rename it",
                            record.NameLocation));
                        continue;
                    }
                    if (byIdlName.TryGetValue(declaration.FullIdlName, out var existing) ||
                        byClrName.TryGetValue(declaration.ClrKey, out existing))
                    {
                        string what = existing.FullIdlName == declaration.FullIdlName
                            ? $"Duplicate record '{declaration.FullIdlName}'"
                            : $"Record '{declaration.FullIdlName}' maps to the same C# type '{ns}.{record.Name}' as '{existing.FullIdlName}'";
                        diagnostics.Add(new JuteDiagnosticInfo(
                            JuteDiagnosticIds.DuplicateRecord,
                            $"{what}; first defined at {existing.Record.NameLocation}",
                            record.NameLocation));
                        continue;
                    }
                    byIdlName.Add(declaration.FullIdlName, declaration);
                    byClrName.Add(declaration.ClrKey, declaration);
                    declarations.Add(declaration);
                }
            }
        }

        // 2. Fields and types of each record on its own.
        foreach (var declaration in declarations)
        {
            var idlNames = new Dictionary<string, JuteFieldSyntax>(StringComparer.Ordinal);
            var propertyNames = new Dictionary<string, JuteFieldSyntax>(StringComparer.Ordinal);
            foreach (var field in declaration.Record.Fields)
            {
                string property = PropertyName(field.Name, declaration.Record.Name);
                if (idlNames.TryGetValue(field.Name, out var first))
                {
                    diagnostics.Add(new JuteDiagnosticInfo(
                        JuteDiagnosticIds.DuplicateField,
                        $"Duplicate field '{field.Name}' in record '{declaration.FullIdlName}'; first defined at {first.NameLocation}",
                        field.NameLocation));
                    declaration.Valid = false;
                }
                else if (propertyNames.TryGetValue(property, out first))
                {
                    diagnostics.Add(new JuteDiagnosticInfo(
                        JuteDiagnosticIds.DuplicateField,
                        $"Field '{field.Name}' in record '{declaration.FullIdlName}' maps to the same property '{property}' as field '{first.Name}'",
                        field.NameLocation));
                    declaration.Valid = false;
                }
                else
                {
                    idlNames.Add(field.Name, field);
                    propertyNames.Add(property, field);
                }
                CheckType(field.Type, declaration, true, byIdlName, diagnostics);
            }
        }

        // 3. Skip records that depend on skipped ones, and records that contain themselves.
        PropagateInvalid(declarations);
        foreach (var declaration in FindDirectCycles(declarations))
        {
            diagnostics.Add(new JuteDiagnosticInfo(
                JuteDiagnosticIds.RecursiveRecord,
                $"Record '{declaration.FullIdlName}' contains itself through a non-vector field; it could never be constructed",
                declaration.Record.NameLocation));
            declaration.Valid = false;
        }
        PropagateInvalid(declarations);

        // 4. Emit models.
        var minSizes = new Dictionary<Declaration, int>();
        var records = ImmutableArray.CreateBuilder<RecordModel>();
        // Roslyn compares hint names ignoring case; records A and a of one module need distinct ones.
        var hintNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "JuteCatalog.g.cs" };
        foreach (var declaration in declarations)
        {
            if (!declaration.Valid) continue;
            var fields = ImmutableArray.CreateBuilder<FieldModel>();
            foreach (var field in declaration.Record.Fields)
            {
                string property = PropertyName(field.Name, declaration.Record.Name);
                fields.Add(new FieldModel(
                    field.Name,
                    property,
                    EscapeIdentifier(property),
                    ToModel(field.Type, declaration, byIdlName, minSizes)));
            }
            string stem = declaration.NamespaceSuffix + "." + declaration.Record.Name;
            string hintName = stem + ".g.cs";
            for (int n = 2; !hintNames.Add(hintName); n++) hintName = stem + "_" + n.ToString(CultureInfo.InvariantCulture) + ".g.cs";
            records.Add(new RecordModel(
                declaration.Module,
                declaration.Record.Name,
                declaration.Namespace,
                EscapeIdentifier(declaration.Record.Name),
                hintName,
                new EquatableArray<FieldModel>(fields.ToImmutable())));
        }

        return new JuteCompilationModel(
            rootIdentifier,
            files.Length > 0,
            new EquatableArray<RecordModel>(records.ToImmutable()),
            new EquatableArray<JuteDiagnosticInfo>(diagnostics.ToImmutable()));
    }

    /// <summary><c>org.apache.zookeeper.data</c> → <c>Data</c>.</summary>
    public static string ModuleSuffix(string module)
    {
        int dot = module.LastIndexOf('.');
        return PascalCase(dot < 0 ? module : module.Substring(dot + 1));
    }

    /// <summary>The C# property for an IDL field: PascalCase, plus <c>Value</c> when it would clash.</summary>
    public static string PropertyName(string field, string recordName)
    {
        string name = PascalCase(field);
        return name == recordName || ReservedMemberNames.Contains(name) ? name + "Value" : name;
    }

    public static string PascalCase(string name) =>
        name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);

    public static string EscapeIdentifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    private static string EscapeNamespace(string ns)
    {
        var parts = ns.Split('.');
        for (int i = 0; i < parts.Length; i++) parts[i] = EscapeIdentifier(parts[i]);
        return string.Join(".", parts);
    }

    private static bool IsValidNamespace(string ns)
    {
        foreach (var part in ns.Split('.'))
        {
            if (!SyntaxFacts.IsValidIdentifier(part)) return false;
        }
        return true;
    }

    private static string ResolveName(string name, string module) =>
        name.IndexOf('.') >= 0 ? name : module + "." + name;

    private static void CheckType(
        JuteTypeSyntax type,
        Declaration owner,
        bool direct,
        Dictionary<string, Declaration> byIdlName,
        ImmutableArray<JuteDiagnosticInfo>.Builder diagnostics)
    {
        switch (type.Kind)
        {
            case JuteTypeSyntaxKind.Map:
                diagnostics.Add(new JuteDiagnosticInfo(
                    JuteDiagnosticIds.MapNotSupported,
                    $"map is not supported (record '{owner.FullIdlName}' is skipped)",
                    type.Location));
                owner.Valid = false;
                if (type.Key is { } key) CheckType(key, owner, false, byIdlName, diagnostics);
                if (type.Element is { } value) CheckType(value, owner, false, byIdlName, diagnostics);
                break;
            case JuteTypeSyntaxKind.Vector:
                CheckType(type.Element!, owner, false, byIdlName, diagnostics);
                break;
            case JuteTypeSyntaxKind.Record:
                string name = ResolveName(type.RecordName!, owner.Module);
                if (byIdlName.TryGetValue(name, out var target))
                {
                    owner.Dependencies.Add(target);
                    if (direct) owner.DirectDependencies.Add(target);
                }
                else
                {
                    owner.Valid = false;
                    // In a file cut short by a syntax error the target may simply not have been read.
                    if (!owner.File.HasSyntaxErrors)
                    {
                        diagnostics.Add(new JuteDiagnosticInfo(
                            JuteDiagnosticIds.UnknownType,
                            $"Unknown record type '{type.RecordName}' in record '{owner.FullIdlName}'",
                            type.Location));
                    }
                }
                break;
        }
    }

    private static void PropagateInvalid(List<Declaration> declarations)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (var declaration in declarations)
            {
                if (!declaration.Valid) continue;
                foreach (var dependency in declaration.Dependencies)
                {
                    if (!dependency.Valid)
                    {
                        declaration.Valid = false;
                        changed = true;
                        break;
                    }
                }
            }
        }
    }

    /// <summary>Valid records on a cycle of direct (non-vector) record fields.</summary>
    private static List<Declaration> FindDirectCycles(List<Declaration> declarations)
    {
        var onCycle = new List<Declaration>();
        foreach (var start in declarations)
        {
            if (!start.Valid) continue;
            // Can start reach itself through direct record fields?
            var seen = new HashSet<Declaration>();
            var stack = new Stack<Declaration>();
            foreach (var next in start.DirectDependencies) stack.Push(next);
            while (stack.Count > 0)
            {
                var current = stack.Pop();
                if (current == start)
                {
                    onCycle.Add(start);
                    break;
                }
                if (!seen.Add(current)) continue;
                foreach (var next in current.DirectDependencies) stack.Push(next);
            }
        }
        return onCycle;
    }

    private static TypeModel ToModel(
        JuteTypeSyntax type,
        Declaration owner,
        Dictionary<string, Declaration> byIdlName,
        Dictionary<Declaration, int> minSizes)
    {
        switch (type.Kind)
        {
            case JuteTypeSyntaxKind.Vector:
                var element = ToModel(type.Element!, owner, byIdlName, minSizes);
                return new TypeModel(type.Kind, element, null, null, 4);
            case JuteTypeSyntaxKind.Record:
                var target = byIdlName[ResolveName(type.RecordName!, owner.Module)];
                return new TypeModel(
                    type.Kind,
                    null,
                    "global::" + target.Namespace + "." + EscapeIdentifier(target.Record.Name),
                    target.FullIdlName,
                    RecordMinSize(target, byIdlName, minSizes));
            default:
                return new TypeModel(type.Kind, null, null, null, PrimitiveSize(type.Kind));
        }
    }

    private static int RecordMinSize(Declaration declaration, Dictionary<string, Declaration> byIdlName, Dictionary<Declaration, int> minSizes)
    {
        if (minSizes.TryGetValue(declaration, out int cached)) return cached;
        int size = 0;
        foreach (var field in declaration.Record.Fields)
        {
            size += field.Type.Kind == JuteTypeSyntaxKind.Record
                ? RecordMinSize(byIdlName[ResolveName(field.Type.RecordName!, declaration.Module)], byIdlName, minSizes)
                : PrimitiveSize(field.Type.Kind);
        }
        size = Math.Max(1, size);
        minSizes[declaration] = size;
        return size;
    }

    private static int PrimitiveSize(JuteTypeSyntaxKind kind) => kind switch
    {
        JuteTypeSyntaxKind.Byte or JuteTypeSyntaxKind.Boolean => 1,
        JuteTypeSyntaxKind.Long or JuteTypeSyntaxKind.Double => 8,
        _ => 4, // int, float, and the length/count prefix of ustring, buffer, vector
    };

    private sealed class Declaration
    {
        public Declaration(JuteFileSyntax file, string module, JuteRecordSyntax record, string ns, string namespaceSuffix)
        {
            File = file;
            Module = module;
            Record = record;
            Namespace = ns;
            NamespaceSuffix = namespaceSuffix;
        }

        public JuteFileSyntax File { get; }
        public string Module { get; }
        public JuteRecordSyntax Record { get; }
        public string Namespace { get; }
        public string NamespaceSuffix { get; }
        public string FullIdlName => Module + "." + Record.Name;
        public string ClrKey => Namespace + "." + Record.Name;
        public bool Valid { get; set; } = true;

        /// <summary>Every record this one refers to, directly or as a vector element.</summary>
        public List<Declaration> Dependencies { get; } = new();

        /// <summary>Records held in plain (non-vector) fields.</summary>
        public List<Declaration> DirectDependencies { get; } = new();
    }
}
