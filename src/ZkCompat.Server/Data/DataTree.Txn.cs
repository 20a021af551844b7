using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Txn;

namespace ZkCompat.Server.Data;

// Applying one logged txn (Java's DataTree.processTxn).
public sealed partial class DataTree
{
    /// <summary>
    /// Applies <paramref name="txn"/> (the body matching <c>header.Type</c>; null for a createSession
    /// or a closeSession logged without a body), fires watches and advances
    /// <see cref="LastProcessedZxid"/>. Failures that replay routinely meets (NoNode, NodeExists) come
    /// back in <see cref="ProcessTxnResult.Err"/>, as do error txns. A multi is applied sub-txn by
    /// sub-txn; if it holds an error txn it was rejected in prep, and every sub-result is an error
    /// (0 before the failure, the failure's code, then -2) with nothing changed.
    /// </summary>
    /// <exception cref="InvalidCastException"><paramref name="txn"/> is not the record the type needs.</exception>
    public ProcessTxnResult ProcessTxn(TxnHeader header, IJuteRecord? txn) => ProcessTxn(header, txn, isSubTxn: false);

    private ProcessTxnResult ProcessTxn(TxnHeader header, IJuteRecord? txn, bool isSubTxn)
    {
        var rc = new ProcessTxnResult
        {
            ClientId = header.ClientId,
            Cxid = header.Cxid,
            Zxid = header.Zxid,
            Type = header.Type,
            Err = 0,
        };

        try
        {
            rc.Err = (int)Apply(header, txn, rc);
        }
        catch (IOException e) when (e is JuteException or InvalidMultiTxnException)
        {
            // Java logs an undecodable multi and leaves the result as far as it got.
        }

        // Replay only: the node was deleted (by a session close) and created again by another
        // session after the snapshot serialized its parent, so it is there already. The parent
        // still needs this create's cversion and pzxid. Java does this for create (1) alone.
        if (header.Type == (int)OpCode.Create && rc.Err == (int)ErrorCode.NodeExists && rc.Path is not null)
        {
            var createTxn = (CreateTxn)txn!;
            string parentName = rc.Path[..rc.Path.LastIndexOf('/')];
            var err = TrySetCversionPzxid(parentName, createTxn.ParentCVersion, header.Zxid);
            if (err != ErrorCode.Ok) rc.Err = (int)err;
        }

        // Only once the whole txn is in: a snapshot tagged with a zxid must hold all of a multi.
        if (!isSubTxn && rc.Zxid > LastProcessedZxid) LastProcessedZxid = rc.Zxid;
        if (!isSubTxn) OnTxnApplied(rc.Zxid);
        return rc;
    }

    private ErrorCode Apply(TxnHeader header, IJuteRecord? txn, ProcessTxnResult rc)
    {
        switch ((OpCode)header.Type)
        {
            case OpCode.Create:
            {
                var create = (CreateTxn)txn!;
                rc.Path = create.Path;
                return TryCreateNode(create.Path!, create.Data, create.Acl, create.Ephemeral ? header.ClientId : 0,
                    create.ParentCVersion, header.Zxid, header.Time, outputStat: null);
            }
            case OpCode.Create2:
            {
                var create = (CreateTxn)txn!;
                rc.Path = create.Path;
                var stat = new Stat();
                var err = TryCreateNode(create.Path!, create.Data, create.Acl, create.Ephemeral ? header.ClientId : 0,
                    create.ParentCVersion, header.Zxid, header.Time, stat);
                // Java leaves the stat unset when the create failed.
                if (err == ErrorCode.Ok) rc.Stat = stat;
                return err;
            }
            case OpCode.CreateTtl:
            {
                var create = (CreateTTLTxn)txn!;
                rc.Path = create.Path;
                var stat = new Stat();
                var err = TryCreateNode(create.Path!, create.Data, create.Acl, EphemeralTypes.TtlToEphemeralOwner(create.Ttl),
                    create.ParentCVersion, header.Zxid, header.Time, stat);
                if (err == ErrorCode.Ok) rc.Stat = stat;
                return err;
            }
            case OpCode.CreateContainer:
            {
                var create = (CreateContainerTxn)txn!;
                rc.Path = create.Path;
                var stat = new Stat();
                var err = TryCreateNode(create.Path!, create.Data, create.Acl, EphemeralTypes.ContainerEphemeralOwner,
                    create.ParentCVersion, header.Zxid, header.Time, stat);
                if (err == ErrorCode.Ok) rc.Stat = stat;
                return err;
            }
            case OpCode.Delete:
            case OpCode.DeleteContainer:
            {
                var delete = (DeleteTxn)txn!;
                rc.Path = delete.Path;
                return TryDeleteNode(delete.Path!, header.Zxid);
            }
            case OpCode.Reconfig:
            case OpCode.SetData:
            {
                var setData = (SetDataTxn)txn!;
                rc.Path = setData.Path;
                var err = TrySetData(setData.Path!, setData.Data, setData.Version, header.Zxid, header.Time, out var stat);
                rc.Stat = stat;
                return err;
            }
            case OpCode.SetAcl:
            {
                var setAcl = (SetACLTxn)txn!;
                rc.Path = setAcl.Path;
                var err = TrySetAcl(setAcl.Path!, setAcl.Acl, setAcl.Version, out var stat);
                rc.Stat = stat;
                return err;
            }
            case OpCode.CloseSession:
                KillSession(header.ClientId, header.Zxid, (txn as CloseSessionTxn)?.Paths2Delete);
                return ErrorCode.Ok;
            case OpCode.Error:
                return (ErrorCode)((ErrorTxn)txn!).Err;
            case OpCode.Check:
                rc.Path = ((CheckVersionTxn)txn!).Path;
                return ErrorCode.Ok;
            case OpCode.Multi:
                ApplyMulti(header, (MultiTxn)txn!, rc);
                return (ErrorCode)rc.Err;
            default:
                // createSession and anything else change nothing in the tree.
                return ErrorCode.Ok;
        }
    }

    private void ApplyMulti(TxnHeader header, MultiTxn multi, ProcessTxnResult rc)
    {
        var txns = multi.Txns ?? [];
        rc.MultiResult = new List<ProcessTxnResult>(txns.Count);

        // An error sub-txn means prep rejected the multi: apply nothing, report errors only.
        bool failed = txns.Exists(t => t.Type == (int)OpCode.Error);
        bool postFailed = false;
        foreach (var sub in txns)
        {
            int type = sub.Type;
            IJuteRecord record = DecodeSubTxn(sub);
            if (type == (int)OpCode.Error) postFailed = true;

            if (failed && type != (int)OpCode.Error)
            {
                record = new ErrorTxn { Err = postFailed ? (int)ErrorCode.RuntimeInconsistency : (int)ErrorCode.Ok };
                type = (int)OpCode.Error;
            }

            var subHeader = new TxnHeader
            {
                ClientId = header.ClientId,
                Cxid = header.Cxid,
                Zxid = header.Zxid,
                Time = header.Time,
                Type = type,
            };
            var subRc = ProcessTxn(subHeader, record, isSubTxn: true);
            rc.MultiResult.Add(subRc);
            if (subRc.Err != 0 && rc.Err == 0) rc.Err = subRc.Err;
        }
    }

    private static IJuteRecord DecodeSubTxn(Txn sub)
    {
        var data = sub.Data ?? [];
        // Like Java's byteBuffer2Record: trailing bytes are not an error.
        var reader = new JuteReader(data);
        return (OpCode)sub.Type switch
        {
            OpCode.Create => CreateTxn.Deserialize(ref reader),
            // 3.8.0 prep turns create2 into create inside a multi; 3.8.2+ keeps create2.
            OpCode.Create2 => CreateTxn.Deserialize(ref reader),
            OpCode.CreateTtl => CreateTTLTxn.Deserialize(ref reader),
            OpCode.CreateContainer => CreateContainerTxn.Deserialize(ref reader),
            OpCode.Delete or OpCode.DeleteContainer => DeleteTxn.Deserialize(ref reader),
            OpCode.SetData => SetDataTxn.Deserialize(ref reader),
            OpCode.Error => ErrorTxn.Deserialize(ref reader),
            OpCode.Check => CheckVersionTxn.Deserialize(ref reader),
            _ => throw new InvalidMultiTxnException("Invalid type of op: " + sub.Type),
        };
    }

    private sealed class InvalidMultiTxnException(string message) : IOException(message);
}
