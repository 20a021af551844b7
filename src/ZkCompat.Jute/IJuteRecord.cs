namespace ZkCompat.Jute;

/// <summary>A record generated from the jute IDL.</summary>
public interface IJuteRecord
{
    /// <summary>Writes the fields in IDL order, exactly as Java's <c>serialize</c> does.</summary>
    void Serialize(ref JuteWriter writer);

    /// <summary>The exact number of bytes <see cref="Serialize"/> writes.</summary>
    int GetSerializedSize();

    /// <summary>The IDL description of this record.</summary>
    JuteRecordInfo JuteInfo { get; }
}

public interface IJuteRecord<TSelf> : IJuteRecord where TSelf : IJuteRecord<TSelf>
{
    static abstract TSelf Deserialize(ref JuteReader reader);

    static abstract JuteRecordInfo Info { get; }
}
