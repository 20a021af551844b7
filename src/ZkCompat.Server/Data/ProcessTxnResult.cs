using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Data;

/// <summary>The outcome of applying one txn (Java's <c>DataTree.ProcessTxnResult</c>).</summary>
public sealed class ProcessTxnResult
{
    public long ClientId;
    public int Cxid;
    public long Zxid;

    /// <summary>0 or an <see cref="ZkCompat.Protocol.ErrorCode"/>; for a multi the first non-zero sub-result.</summary>
    public int Err;

    /// <summary>The txn type (an <see cref="ZkCompat.Protocol.OpCode"/>).</summary>
    public int Type;

    public string? Path;

    /// <summary>Set by create2/createTTL/createContainer, setData and setACL.</summary>
    public Stat? Stat;

    /// <summary>One entry per sub-txn of a multi, in order.</summary>
    public List<ProcessTxnResult>? MultiResult;

    public override string ToString() =>
        $"ProcessTxnResult(type {Type}, err {Err}, path {Path}, zxid 0x{Zxid:x}, session 0x{ClientId:x}, cxid {Cxid})";
}
