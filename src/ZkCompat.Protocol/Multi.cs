using ZkCompat.Jute;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Protocol;

/// <summary>One operation of a multi / multiRead request: its opcode and request record.</summary>
public sealed record MultiOp(OpCode Type, IJuteRecord Request)
{
    public string? Path => Request switch
    {
        CreateRequest r => r.Path,
        CreateTTLRequest r => r.Path,
        DeleteRequest r => r.Path,
        SetDataRequest r => r.Path,
        CheckVersionRequest r => r.Path,
        GetDataRequest r => r.Path,
        GetChildrenRequest r => r.Path,
        _ => null,
    };

    public bool IsRead => Type is OpCode.GetData or OpCode.GetChildren;
}

/// <summary>
/// The body of multi (14) and multiRead (22), as Java's <c>MultiOperationRecord</c> lays it out:
/// <c>MultiHeader{type, done=false, err=-1}</c> + request record per op, then
/// <c>MultiHeader{-1, true, -1}</c>. Not an IDL record: ZooKeeper hand-writes it too.
/// </summary>
public sealed class MultiRequestBody(IReadOnlyList<MultiOp> ops) : IJuteWritable
{
    public IReadOnlyList<MultiOp> Ops { get; } = ops;

    public void Serialize(ref JuteWriter writer)
    {
        foreach (var op in Ops)
        {
            new MultiHeader((int)op.Type, false, -1).Serialize(ref writer);
            op.Request.Serialize(ref writer);
        }
        new MultiHeader(-1, true, -1).Serialize(ref writer);
    }

    public int GetSerializedSize()
    {
        const int header = 9;
        int size = header;
        foreach (var op in Ops) size += header + op.Request.GetSerializedSize();
        return size;
    }

    /// <summary>Reads ops until the done marker. Unknown op types, and mixing reads with
    /// writes, are malformed requests (Java answers MARSHALLINGERROR).</summary>
    public static MultiRequestBody Read(ref JuteReader reader)
    {
        var ops = new List<MultiOp>();
        bool? reads = null;
        var header = MultiHeader.Deserialize(ref reader);
        while (!header.Done)
        {
            var type = (OpCode)header.Type;
            IJuteRecord request = type switch
            {
                OpCode.Create or OpCode.Create2 or OpCode.CreateContainer => CreateRequest.Deserialize(ref reader),
                OpCode.CreateTtl => CreateTTLRequest.Deserialize(ref reader),
                OpCode.Delete => DeleteRequest.Deserialize(ref reader),
                OpCode.SetData => SetDataRequest.Deserialize(ref reader),
                OpCode.Check => CheckVersionRequest.Deserialize(ref reader),
                OpCode.GetChildren => GetChildrenRequest.Deserialize(ref reader),
                OpCode.GetData => GetDataRequest.Deserialize(ref reader),
                _ => throw new JuteException($"Invalid type of op: {header.Type}"),
            };
            var op = new MultiOp(type, request);
            if (reads is null) reads = op.IsRead;
            else if (reads != op.IsRead)
                throw new JuteException("Mixing read and write operations (transaction and read) in a multi request");
            ops.Add(op);
            header = MultiHeader.Deserialize(ref reader);
        }
        return new MultiRequestBody(ops);
    }
}

/// <summary>One result of a multi: the result type (an opcode, or -1 for an error), its error
/// code, and the response record if the type has one.</summary>
public sealed record MultiResult(OpCode Type, int Err, IJuteRecord? Body)
{
    public static MultiResult Error(int err) => new(OpCode.Error, err, new ErrorResponse(err));
}

/// <summary>The body of a multi / multiRead reply (Java's <c>MultiResponse</c>).</summary>
public sealed class MultiResponseBody(IReadOnlyList<MultiResult> results) : IJuteWritable
{
    public IReadOnlyList<MultiResult> Results { get; } = results;

    public void Serialize(ref JuteWriter writer)
    {
        foreach (var result in Results)
        {
            new MultiHeader((int)result.Type, false, result.Type == OpCode.Error ? result.Err : 0).Serialize(ref writer);
            result.Body?.Serialize(ref writer);
        }
        new MultiHeader(-1, true, -1).Serialize(ref writer);
    }

    public int GetSerializedSize()
    {
        const int header = 9;
        int size = header;
        foreach (var result in Results) size += header + (result.Body?.GetSerializedSize() ?? 0);
        return size;
    }

    public static MultiResponseBody Read(ref JuteReader reader)
    {
        var results = new List<MultiResult>();
        var header = MultiHeader.Deserialize(ref reader);
        while (!header.Done)
        {
            var type = (OpCode)header.Type;
            IJuteRecord? body = type switch
            {
                OpCode.Create => CreateResponse.Deserialize(ref reader),
                OpCode.Create2 => Create2Response.Deserialize(ref reader),
                OpCode.Delete or OpCode.Check => null,
                OpCode.SetData => SetDataResponse.Deserialize(ref reader),
                OpCode.GetData => GetDataResponse.Deserialize(ref reader),
                OpCode.GetChildren => GetChildrenResponse.Deserialize(ref reader),
                OpCode.Error => ErrorResponse.Deserialize(ref reader),
                _ => throw new JuteException($"Invalid type of op result: {header.Type}"),
            };
            results.Add(new MultiResult(type, header.Err, body));
            header = MultiHeader.Deserialize(ref reader);
        }
        return new MultiResponseBody(results);
    }
}
