using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using NUnit.Framework;
using ZkCompat.Jute;
using ZkCompat.Jute.Generator;

namespace ZkCompat.Tests.Generator;

/// <summary>Runs <see cref="JuteSourceGenerator"/> in memory and compiles what it produces.</summary>
internal static class GeneratorHarness
{
    public const string DefaultPath = "/idl/test.jute";

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    /// <summary>The .NET runtime assemblies plus ZkCompat.Jute, and nothing generated from the real IDL.</summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    public static GeneratorRun Run(string text, string path = DefaultPath, string? rootNamespace = null) =>
        Run([(path, text)], rootNamespace);

    public static GeneratorRun Run(IReadOnlyList<(string Path, string Text)> files, string? rootNamespace = null)
    {
        var compilation = CSharpCompilation.Create(
            "JuteGeneratorTest",
            syntaxTrees: [],
            references: References,
            options: CompilationOptions());
        GeneratorDriver driver = CreateDriver(files, rootNamespace);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        return new GeneratorRun(driver, driver.GetRunResult(), output, driverDiagnostics);
    }

    public static GeneratorDriver CreateDriver(IReadOnlyList<(string Path, string Text)> files, string? rootNamespace, bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            generators: [new JuteSourceGenerator().AsSourceGenerator()],
            additionalTexts: files.Select(f => (AdditionalText)new InMemoryAdditionalText(f.Path, f.Text)),
            parseOptions: ParseOptions,
            optionsProvider: new GlobalOptionsProvider(rootNamespace),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    public static CSharpCompilation EmptyCompilation() =>
        CSharpCompilation.Create("JuteGeneratorTest", [], References, CompilationOptions());

    public static CSharpCompilationOptions CompilationOptions() =>
        new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    /// <summary>Compiler errors and warnings (what TreatWarningsAsErrors would fail on).</summary>
    public static ImmutableArray<Diagnostic> ErrorsAndWarnings(Compilation compilation) =>
        compilation.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .ToImmutableArray();

    /// <summary>Emits and loads the compilation into a collectible context.</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.That(result.Success, Is.True, string.Join("\n", result.Diagnostics));
        stream.Position = 0;
        var context = new AssemblyLoadContext("JuteGeneratorTest", isCollectible: true);
        return context.LoadFromStream(stream);
    }

    /// <summary>The repository root: the first ancestor of the test directory holding ZkCompat.sln or jute/zookeeper.jute.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ZkCompat.sln")) ||
                File.Exists(Path.Combine(dir.FullName, "jute", "zookeeper.jute")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("No ancestor of the test directory holds ZkCompat.sln or jute/zookeeper.jute");
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // Only the shared framework from the trusted platform assemblies: the test's own
        // dependencies include ZkCompat.Protocol, whose types would clash with the generated ones.
        string frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var references = tpa
            .Where(p => string.Equals(Path.GetDirectoryName(p), frameworkDir, StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(JuteReader).Assembly.Location));
        return [.. references];
    }

    private sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
    {
        private readonly SourceText _text = SourceText.From(text);

        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }

    private sealed class GlobalOptionsProvider(string? rootNamespace) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(rootNamespace);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

        private sealed class Options(string? rootNamespace) : AnalyzerConfigOptions
        {
            public static readonly Options Empty = new(null);

            public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value)
            {
                value = key == JuteSourceGenerator.RootNamespaceProperty ? rootNamespace : null;
                return value is not null;
            }
        }
    }
}

/// <summary>One generator run: its result, the compilation with the generated trees added, and any driver diagnostics.</summary>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    Compilation Output,
    ImmutableArray<Diagnostic> DriverDiagnostics)
{
    public GeneratorRunResult Single => Result.Results.Single();

    public ImmutableArray<Diagnostic> Diagnostics => Single.Diagnostics;

    public IEnumerable<string> HintNames => Single.GeneratedSources.Select(s => s.HintName);

    public string Source(string hintName) =>
        Single.GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();
}
