using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Client;

/// <summary>
/// The body of multi / multiRead (Java's <c>MultiOperationRecord</c>, not in the IDL): per op a
/// MultiHeader{type, done=false, err=-1} and the op's record, then MultiHeader{-1, true, -1}.
/// </summary>
internal sealed class MultiRequest : IJuteRecord
{
    private const int HeaderSize = 4 + 1 + 4;

    private static readonly JuteRecordInfo RecordInfo =
        new("org.apache.zookeeper", "MultiOperationRecord", typeof(MultiRequest), Array.Empty<JuteFieldInfo>());

    private readonly OpCode[] _types;
    private readonly IJuteRecord[] _records;

    public MultiRequest(IEnumerable<Op> ops)
    {
        var types = new List<OpCode>();
        var records = new List<IJuteRecord>();
        foreach (var op in ops)
        {
            types.Add(op.Type);
            records.Add(op.ToRequest());
        }
        _types = types.ToArray();
        _records = records.ToArray();
    }

    public JuteRecordInfo JuteInfo => RecordInfo;

    public int GetSerializedSize()
    {
        int size = HeaderSize * (_records.Length + 1);
        foreach (var record in _records) size += record.GetSerializedSize();
        return size;
    }

    public void Serialize(ref JuteWriter writer)
    {
        for (int i = 0; i < _records.Length; i++)
        {
            WriteHeader(ref writer, (int)_types[i], done: false);
            _records[i].Serialize(ref writer);
        }
        WriteHeader(ref writer, -1, done: true);
    }

    private static void WriteHeader(ref JuteWriter writer, int type, bool done)
    {
        writer.WriteInt(type);
        writer.WriteBool(done);
        writer.WriteInt(-1);
    }
}

/// <summary>Decodes Java's <c>MultiResponse</c>: entries until a MultiHeader with done=true.</summary>
internal static class MultiResponse
{
    public static IReadOnlyList<OpResult> Read(ref JuteReader reader)
    {
        var results = new List<OpResult>();
        while (true)
        {
            int type = reader.ReadInt();
            bool done = reader.ReadBool();
            reader.ReadInt(); // err: for error entries the ErrorResponse below repeats it
            if (done) return results;
            results.Add((OpCode)type switch
            {
                OpCode.Create => new OpResult.CreateResult(CreateResponse.Deserialize(ref reader).Path),
                OpCode.Create2 => ReadCreate2(ref reader),
                OpCode.Delete => new OpResult.DeleteResult(),
                OpCode.SetData => new OpResult.SetDataResult(SetDataResponse.Deserialize(ref reader).Stat),
                OpCode.Check => new OpResult.CheckResult(),
                OpCode.GetChildren => new OpResult.GetChildrenResult(Strings.NonNull(GetChildrenResponse.Deserialize(ref reader).Children)),
                OpCode.GetData => ReadGetData(ref reader),
                OpCode.Error => new OpResult.ErrorResult((ErrorCode)ErrorResponse.Deserialize(ref reader).Err),
                _ => throw new JuteException($"Invalid type {type} in MultiResponse"),
            });
        }
    }

    private static OpResult ReadCreate2(ref JuteReader reader)
    {
        var response = Create2Response.Deserialize(ref reader);
        return new OpResult.CreateResult(response.Path, response.Stat);
    }

    private static OpResult ReadGetData(ref JuteReader reader)
    {
        var response = GetDataResponse.Deserialize(ref reader);
        return new OpResult.GetDataResult(response.Data, response.Stat);
    }
}

internal static class Strings
{
    /// <summary>The generated records type vector&lt;ustring&gt; as List&lt;string?&gt;; names from the server are never null.</summary>
    public static List<string> NonNull(List<string?>? list) => list is null ? [] : (List<string>)(object)list;
}
