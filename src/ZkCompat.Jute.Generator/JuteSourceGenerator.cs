using System;
using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using ZkCompat.Jute.Generator.Emit;
using ZkCompat.Jute.Generator.Model;
using ZkCompat.Jute.Generator.Parsing;

namespace ZkCompat.Jute.Generator;

/// <summary>
/// Generates one C# record class per jute IDL class found in the <c>*.jute</c> AdditionalFiles,
/// plus a <c>JuteCatalog</c> listing them all. Each file is parsed on its own (cached until its
/// text changes); binding looks at all files together; each record is emitted on its own.
/// The root namespace comes from the MSBuild property <c>JuteRootNamespace</c>
/// (made visible with <c>&lt;CompilerVisibleProperty Include="JuteRootNamespace" /&gt;</c>).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class JuteSourceGenerator : IIncrementalGenerator
{
    public const string RootNamespaceProperty = "build_property.JuteRootNamespace";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".jute", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, cancellationToken) => ParseFile(text, cancellationToken));

        var rootNamespace = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) =>
                options.GlobalOptions.TryGetValue(RootNamespaceProperty, out var value) ? value : null);

        var model = files.Collect()
            .Combine(rootNamespace)
            .Select(static (input, cancellationToken) => BindFiles(input.Left, input.Right));

        var records = model.SelectMany(static (m, _) => m.Records.AsImmutableArray());
        context.RegisterSourceOutput(records, static (spc, record) => EmitRecord(spc, record));
        context.RegisterSourceOutput(model, static (spc, m) => EmitCatalogAndDiagnostics(spc, m));
    }

    private static JuteFileSyntax ParseFile(AdditionalText text, System.Threading.CancellationToken cancellationToken)
    {
        try
        {
            var source = text.GetText(cancellationToken);
            if (source is null)
            {
                return Failed(text.Path, JuteDiagnosticIds.SyntaxError, $"Could not read '{text.Path}'");
            }
            return JuteParser.Parse(source.ToString(), text.Path);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex)
        {
            return Failed(text.Path, JuteDiagnosticIds.InternalError, "Parsing failed: " + ex);
        }
    }

    private static JuteFileSyntax Failed(string path, string id, string message) =>
        new(
            path,
            EquatableArray<JuteModuleSyntax>.Empty,
            new EquatableArray<JuteDiagnosticInfo>(ImmutableArray.Create(
                new JuteDiagnosticInfo(id, message, new JuteLocation(path, 0, 0, 0, 0, 0, 0)))),
            true);

    private static JuteCompilationModel BindFiles(ImmutableArray<JuteFileSyntax> files, string? rootNamespace)
    {
        try
        {
            return JuteBinder.Bind(files, rootNamespace);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex)
        {
            return new JuteCompilationModel(
                JuteBinder.DefaultRootNamespace,
                false,
                EquatableArray<RecordModel>.Empty,
                new EquatableArray<JuteDiagnosticInfo>(ImmutableArray.Create(
                    new JuteDiagnosticInfo(JuteDiagnosticIds.InternalError, "Binding failed: " + ex, null))));
        }
    }

    private static void EmitRecord(SourceProductionContext context, RecordModel record)
    {
        try
        {
            context.AddSource(record.HintName, SourceText.From(RecordEmitter.EmitRecord(record), Encoding.UTF8));
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                JuteDiagnostics.InternalError, Location.None, $"Emitting '{record.FullIdlName}' failed: {ex}"));
        }
    }

    private static void EmitCatalogAndDiagnostics(SourceProductionContext context, JuteCompilationModel model)
    {
        try
        {
            foreach (var diagnostic in model.Diagnostics) context.ReportDiagnostic(JuteDiagnostics.Create(diagnostic));
            if (model.HasJuteFiles)
            {
                context.AddSource(
                    "JuteCatalog.g.cs",
                    SourceText.From(RecordEmitter.EmitCatalog(model.RootNamespace, model.Records), Encoding.UTF8));
            }
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                JuteDiagnostics.InternalError, Location.None, "Emitting the catalog failed: " + ex));
        }
    }
}
