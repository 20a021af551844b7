namespace ZkCompat.Jute;

/// <summary>Anything that writes itself in jute encoding: generated records, and the few
/// composite bodies ZooKeeper hand-writes (multi requests and responses).</summary>
public interface IJuteWritable
{
    /// <summary>Writes the fields in order, exactly as Java's <c>serialize</c> does.</summary>
    void Serialize(ref JuteWriter writer);

    /// <summary>The exact number of bytes <see cref="Serialize"/> writes.</summary>
    int GetSerializedSize();
}

/// <summary>A record generated from the jute IDL.</summary>
public interface IJuteRecord : IJuteWritable
{
    /// <summary>The IDL description of this record.</summary>
    JuteRecordInfo JuteInfo { get; }
}

public interface IJuteRecord<TSelf> : IJuteRecord where TSelf : IJuteRecord<TSelf>
{
    static abstract TSelf Deserialize(ref JuteReader reader);

    static abstract JuteRecordInfo Info { get; }
}
