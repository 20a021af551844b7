using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using ZkCompat.Jute;
using ZkCompat.Protocol;

namespace ZkCompat.TestSupport;

/// <summary>
/// Deterministic sample instances of every jute record, built exactly as
/// <c>interop-tests/ZkCompat.InteropTests/java/JuteGolden.java</c> builds them from Java's classes,
/// so the two sides can be compared byte for byte. Change both together.
/// </summary>
/// <remarks>
/// Each sample starts a counter k at 0. Every value (a field, a vector element, a nested record
/// itself) first increments k and then derives its content from k and the variant:
/// variant 0 is "ordinary, k-dependent" data, 1 is zero/null, 2 is extreme values, 3 is -1/empty.
/// The top-level record does not increment k; its fields are the first values.
/// </remarks>
public static class JuteSamples
{
    public const int VariantCount = 4;

    /// <summary>The variants 0..3, for test-case sources.</summary>
    public static IReadOnlyList<int> Variants { get; } = [0, 1, 2, 3];

    /// <summary>
    /// The ustring encoding cases of the golden file (<c>string &lt;index&gt; &lt;hex&gt;</c>), in order:
    /// ASCII, 2- and 3-byte characters, a surrogate pair alone and inside text, a lone high
    /// surrogate, and CJK text.
    /// </summary>
    public static IReadOnlyList<string> GoldenStrings { get; } =
    [
        "",
        "a",
        "/zookeeper/quota",
        "\u00e9",
        "\u20ac",
        "\ud83d\ude00",
        "a\ud83d\ude00b",
        "\ud800",
        "\u65e5\u672c\u8a9e",
    ];

    private static readonly Lazy<Dictionary<string, JuteRecordInfo>> CatalogByName =
        new(() => JuteCatalog.Records.ToDictionary(r => r.FullName, StringComparer.Ordinal));

    /// <summary>Builds sample <paramref name="variant"/> (0..3) of the record <paramref name="info"/> describes.</summary>
    public static IJuteRecord Create(JuteRecordInfo info, int variant)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (variant is < 0 or >= VariantCount)
            throw new ArgumentOutOfRangeException(nameof(variant), variant, "variants are 0..3");
        return new Sampler(variant).Record(info);
    }

    /// <summary>Every catalog record in catalog order, each variant serialized with <see cref="JuteSerializer.ToArray"/>.</summary>
    public static IEnumerable<(string fqn, int variant, byte[] bytes)> SerializeCatalog()
    {
        foreach (var info in JuteCatalog.Records)
        {
            for (int v = 0; v < VariantCount; v++)
                yield return (info.FullName, v, JuteSerializer.ToArray(Create(info, v)));
        }
    }

    /// <summary>What <see cref="JuteWriter.WriteUString"/> writes for <paramref name="value"/>.</summary>
    public static byte[] EncodeUString(string? value)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        writer.WriteUString(value);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The whole golden text as ZkCompat produces it (same format as the Java-made file).</summary>
    public static string FormatCSharpGolden() =>
        GoldenFile.Format(
            SerializeCatalog(),
            GoldenStrings.Select(EncodeUString),
            "# ZkCompat jute golden bytes produced by the C# JuteWriter and generated records (JuteSamples.FormatCSharpGolden).");

    /// <summary>
    /// Decodes <paramref name="data"/> with the generated <c>Deserialize</c> of <paramref name="info"/>'s
    /// type, without requiring the input to be fully consumed; <paramref name="consumed"/> says how much was.
    /// </summary>
    public static IJuteRecord Decode(JuteRecordInfo info, byte[] data, out long consumed)
    {
        ArgumentNullException.ThrowIfNull(info);
        var method = typeof(JuteSamples).GetMethod(nameof(DecodeCore), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(info.ClrType);
        object?[] args = [data, 0L];
        try
        {
            var record = (IJuteRecord)method.Invoke(null, args)!;
            consumed = (long)args[1]!;
            return record;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>
    /// <see cref="JuteSerializer.Deserialize{T}"/> for <paramref name="info"/>'s type (which rejects
    /// trailing bytes), called through reflection.
    /// </summary>
    public static IJuteRecord DeserializeExact(JuteRecordInfo info, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(info);
        var method = typeof(JuteSamples).GetMethod(nameof(DeserializeExactCore), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(info.ClrType);
        try
        {
            return (IJuteRecord)method.Invoke(null, [data])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static T DecodeCore<T>(byte[] data, out long consumed) where T : IJuteRecord<T>
    {
        var reader = new JuteReader(data.AsMemory());
        T record = T.Deserialize(ref reader);
        consumed = reader.Consumed;
        return record;
    }

    private static T DeserializeExactCore<T>(byte[] data) where T : IJuteRecord<T> =>
        JuteSerializer.Deserialize<T>(data);

    private static JuteRecordInfo Resolve(string recordName, string contextModule)
    {
        var byName = CatalogByName.Value;
        if (byName.TryGetValue(recordName, out var info)) return info;
        if (byName.TryGetValue(contextModule + "." + recordName, out info)) return info;
        throw new InvalidOperationException($"record {recordName} (used in module {contextModule}) is not in JuteCatalog");
    }

    private static Type ClrTypeOf(JuteTypeInfo type, string contextModule) => type.Kind switch
    {
        JuteTypeKind.Byte => typeof(byte),
        JuteTypeKind.Boolean => typeof(bool),
        JuteTypeKind.Int => typeof(int),
        JuteTypeKind.Long => typeof(long),
        JuteTypeKind.Float => typeof(float),
        JuteTypeKind.Double => typeof(double),
        JuteTypeKind.UString => typeof(string),
        JuteTypeKind.Buffer => typeof(byte[]),
        JuteTypeKind.Vector => typeof(List<>).MakeGenericType(ClrTypeOf(type.Element!, contextModule)),
        JuteTypeKind.Record => Resolve(type.RecordName!, contextModule).ClrType,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type.Kind, null),
    };

    /// <summary>One sample under construction: the shared counter and the variant.</summary>
    private sealed class Sampler(int variant)
    {
        private long _k;

        /// <summary>A record whose fields are the next values; does not itself move the counter.</summary>
        public IJuteRecord Record(JuteRecordInfo info)
        {
            object instance = Activator.CreateInstance(info.ClrType)
                ?? throw new InvalidOperationException($"cannot create {info.ClrType}");
            foreach (var field in info.Fields)
            {
                var property = info.ClrType.GetProperty(field.PropertyName, BindingFlags.Public | BindingFlags.Instance)
                    ?? throw new InvalidOperationException($"{info.ClrType} has no public property {field.PropertyName} for IDL field {field.Name}");
                object? value = Value(field.Type, info.Module);
                property.SetValue(instance, value);
            }
            return instance as IJuteRecord
                ?? throw new InvalidOperationException($"{info.ClrType} does not implement IJuteRecord");
        }

        private object? Value(JuteTypeInfo type, string module)
        {
            _k++;
            long k = _k;
            bool odd = (k & 1) == 1;
            unchecked
            {
                switch (type.Kind)
                {
                    case JuteTypeKind.Byte:
                        return variant switch
                        {
                            0 => (byte)(k * 31 + 7),
                            1 => (byte)0,
                            2 => odd ? (byte)0x80 : (byte)0x7f, // Java's (byte)-128 : 127
                            _ => (byte)0xff, // Java's (byte)-1
                        };
                    case JuteTypeKind.Boolean:
                        return variant switch
                        {
                            0 => k % 2 == 1,
                            1 => false,
                            2 => true,
                            _ => false,
                        };
                    case JuteTypeKind.Int:
                        return variant switch
                        {
                            0 => (int)(k * 1000003L - 500000L),
                            1 => 0,
                            2 => odd ? int.MinValue : int.MaxValue,
                            _ => -1,
                        };
                    case JuteTypeKind.Long:
                        return variant switch
                        {
                            0 => k * 0x0102030405060708L + k,
                            1 => 0L,
                            2 => odd ? long.MinValue : long.MaxValue,
                            _ => -1L,
                        };
                    case JuteTypeKind.Float:
                        return variant switch
                        {
                            0 => k + 0.5f,
                            1 => 0f,
                            2 => float.MaxValue,
                            _ => -1f,
                        };
                    case JuteTypeKind.Double:
                        return variant switch
                        {
                            0 => k + 0.25,
                            1 => 0.0,
                            2 => double.MaxValue,
                            _ => -1.0,
                        };
                    case JuteTypeKind.UString:
                        return variant switch
                        {
                            0 => string.Create(CultureInfo.InvariantCulture, $"/zk{k}/\u00e9\u20ac"),
                            1 => null,
                            2 => string.Create(CultureInfo.InvariantCulture, $"/{k}\u007f\u0080\u07ff\u0800\uffef"),
                            _ => "",
                        };
                    case JuteTypeKind.Buffer:
                        switch (variant)
                        {
                            case 0:
                                var b = new byte[(int)(k % 7) + 1];
                                for (int i = 0; i < b.Length; i++) b[i] = (byte)(k * 13 + i * 17);
                                return b;
                            case 1:
                                return null;
                            case 2:
                                return new byte[] { 0x00, 0x7f, 0x80, 0xff };
                            default:
                                return Array.Empty<byte>();
                        }
                    case JuteTypeKind.Vector:
                        {
                            int count = variant switch { 0 => 2, 1 => -1, 2 => 1, _ => 0 };
                            if (count < 0) return null;
                            var element = type.Element ?? throw new InvalidOperationException("vector without element type");
                            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(ClrTypeOf(element, module)))!;
                            for (int i = 0; i < count; i++) list.Add(Value(element, module));
                            return list;
                        }
                    case JuteTypeKind.Record:
                        // The counter has already moved once for the nested record itself.
                        return Record(Resolve(type.RecordName!, module));
                    default:
                        throw new ArgumentOutOfRangeException(nameof(type), type.Kind, null);
                }
            }
        }
    }
}

/// <summary>One record sample of a golden file.</summary>
public sealed record GoldenRecordEntry(string FullName, int Variant, byte[] Bytes, int LineNumber);

/// <summary>One ustring case of a golden file: the encoding of <see cref="JuteSamples.GoldenStrings"/>[Index].</summary>
public sealed record GoldenStringEntry(int Index, byte[] Bytes, int LineNumber);

/// <summary>
/// The golden text format: UTF-8 lines, <c>#</c> comments, record lines
/// <c>&lt;java class&gt; v&lt;variant&gt; &lt;lowercase hex&gt;</c> and string lines
/// <c>string &lt;index&gt; &lt;lowercase hex&gt;</c>.
/// </summary>
public sealed class GoldenFile
{
    private readonly Dictionary<(string, int), GoldenRecordEntry> _records;
    private readonly Dictionary<int, GoldenStringEntry> _strings;

    private GoldenFile(List<GoldenRecordEntry> records, List<GoldenStringEntry> strings)
    {
        Records = records;
        Strings = strings;
        _records = records.ToDictionary(r => (r.FullName, r.Variant));
        _strings = strings.ToDictionary(s => s.Index);
    }

    /// <summary>Record lines in file order.</summary>
    public IReadOnlyList<GoldenRecordEntry> Records { get; }

    /// <summary>String lines in file order.</summary>
    public IReadOnlyList<GoldenStringEntry> Strings { get; }

    /// <summary>The distinct record names, in order of first appearance.</summary>
    public IReadOnlyList<string> RecordNames => Records.Select(r => r.FullName).Distinct().ToList();

    public static GoldenFile Load(string path) => Parse(File.ReadAllText(path, Encoding.UTF8));

    /// <summary>Parses golden text; malformed or duplicate lines throw <see cref="FormatException"/>.</summary>
    public static GoldenFile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = new List<GoldenRecordEntry>();
        var strings = new List<GoldenStringEntry>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int lineNumber = n + 1;
            string[] parts = line.Split(' ');
            if (parts.Length != 3)
                throw new FormatException($"golden line {lineNumber}: expected 3 space-separated fields: {line}");
            string key = parts[0] + " " + parts[1];
            if (!seen.TryAdd(key, lineNumber))
                throw new FormatException($"golden line {lineNumber}: duplicate entry '{key}' (first on line {seen[key]})");
            byte[] bytes;
            try
            {
                bytes = Convert.FromHexString(parts[2]);
            }
            catch (FormatException e)
            {
                throw new FormatException($"golden line {lineNumber}: bad hex: {e.Message}");
            }
            if (parts[0] == "string")
            {
                if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                    throw new FormatException($"golden line {lineNumber}: bad string index '{parts[1]}'");
                strings.Add(new GoldenStringEntry(index, bytes, lineNumber));
            }
            else
            {
                if (parts[1].Length < 2 || parts[1][0] != 'v'
                    || !int.TryParse(parts[1].AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int variant))
                    throw new FormatException($"golden line {lineNumber}: bad variant '{parts[1]}'");
                records.Add(new GoldenRecordEntry(parts[0], variant, bytes, lineNumber));
            }
        }
        return new GoldenFile(records, strings);
    }

    public bool TryGetRecord(string fullName, int variant, out byte[] bytes)
    {
        if (_records.TryGetValue((fullName, variant), out var entry))
        {
            bytes = entry.Bytes;
            return true;
        }
        bytes = [];
        return false;
    }

    public byte[] GetRecord(string fullName, int variant) =>
        TryGetRecord(fullName, variant, out var bytes)
            ? bytes
            : throw new KeyNotFoundException($"golden file has no entry '{fullName} v{variant}'");

    public byte[] GetString(int index) =>
        _strings.TryGetValue(index, out var entry)
            ? entry.Bytes
            : throw new KeyNotFoundException($"golden file has no entry 'string {index}'");

    public static string FormatRecordLine(string fqn, int variant, byte[] bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{fqn} v{variant} {Convert.ToHexStringLower(bytes)}");

    public static string FormatStringLine(int index, byte[] bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"string {index} {Convert.ToHexStringLower(bytes)}");

    /// <summary>
    /// Golden text for <paramref name="records"/> followed by <paramref name="strings"/> (the encodings of
    /// the string cases, string i being the i-th), with an optional comment header.
    /// </summary>
    public static string Format(
        IEnumerable<(string fqn, int variant, byte[] bytes)> records,
        IEnumerable<byte[]> strings,
        string? header = null)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(strings);
        var sb = new StringBuilder();
        if (header is not null)
        {
            foreach (string line in header.Split('\n'))
                sb.Append(line.StartsWith('#') ? line : "# " + line).Append('\n');
        }
        foreach (var (fqn, variant, bytes) in records)
            sb.Append(FormatRecordLine(fqn, variant, bytes)).Append('\n');
        int index = 0;
        foreach (byte[] bytes in strings)
            sb.Append(FormatStringLine(index++, bytes)).Append('\n');
        return sb.ToString();
    }

    /// <summary>The non-comment, non-blank lines of golden text, trimmed, in order.</summary>
    public static IReadOnlyList<string> DataLines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
    }
}
