using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Client;

/// <summary>
/// multi / multiRead on the client side: the wire layout lives in ZkCompat.Protocol
/// (<see cref="MultiRequestBody"/>, <see cref="MultiResponseBody"/>), shared with the server;
/// this maps it to the client's <see cref="Op"/> and <see cref="OpResult"/> types.
/// </summary>
internal static class MultiRecords
{
    public static MultiRequestBody Request(IEnumerable<Op> ops) =>
        new([.. ops.Select(op => new MultiOp(op.Type, op.ToRequest()))]);

    public static IReadOnlyList<OpResult> ReadResponse(ref JuteReader reader)
    {
        var body = MultiResponseBody.Read(ref reader);
        var results = new List<OpResult>(body.Results.Count);
        foreach (var result in body.Results)
        {
            results.Add(result.Body switch
            {
                CreateResponse create => new OpResult.CreateResult(create.Path),
                Create2Response create2 => new OpResult.CreateResult(create2.Path, create2.Stat),
                SetDataResponse set => new OpResult.SetDataResult(set.Stat),
                GetChildrenResponse children => new OpResult.GetChildrenResult(Strings.NonNull(children.Children)),
                GetDataResponse data => new OpResult.GetDataResult(data.Data, data.Stat),
                ErrorResponse error => new OpResult.ErrorResult((ErrorCode)error.Err),
                null when result.Type == OpCode.Delete => new OpResult.DeleteResult(),
                null when result.Type == OpCode.Check => new OpResult.CheckResult(),
                _ => throw new JuteException($"Invalid type {(int)result.Type} in MultiResponse"),
            });
        }
        return results;
    }
}

internal static class Strings
{
    /// <summary>The generated records type vector&lt;ustring&gt; as List&lt;string?&gt;; names from the server are never null.</summary>
    public static List<string> NonNull(List<string?>? list) => list is null ? [] : (List<string>)(object)list;
}
