namespace ZkCompat.Jute;

public enum JuteTypeKind
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
    Record,
}

/// <summary>A field type as the IDL spells it; vectors carry their element type, records their full name.</summary>
public sealed record JuteTypeInfo(JuteTypeKind Kind, JuteTypeInfo? Element = null, string? RecordName = null)
{
    public override string ToString() => Kind switch
    {
        JuteTypeKind.Vector => $"vector<{Element}>",
        JuteTypeKind.Record => RecordName!,
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

public sealed record JuteFieldInfo(string Name, string PropertyName, JuteTypeInfo Type);

/// <summary>One IDL record: its module (the Java package), name, CLR type and fields in wire order.</summary>
public sealed record JuteRecordInfo(string Module, string Name, Type ClrType, IReadOnlyList<JuteFieldInfo> Fields)
{
    /// <summary>The Java class name, e.g. <c>org.apache.zookeeper.data.Stat</c>.</summary>
    public string FullName => Module + "." + Name;
}
