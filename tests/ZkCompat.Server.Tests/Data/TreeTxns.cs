using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Tests.Data;

/// <summary>
/// Builds txns the way PrepRequestProcessor does (parentCVersion = parent's stored cversion + 1,
/// setData/setACL version = current + 1) and applies them to a tree.
/// </summary>
internal static class TreeTxns
{
    public const long Time = 1_700_000_000_000;

    public static TxnHeader Header(OpCode type, long zxid, long session = 0, long time = Time, int cxid = 1) =>
        new() { ClientId = session, Cxid = cxid, Zxid = zxid, Time = time, Type = (int)type };

    public static int NextParentCVersion(DataTree tree, string path)
    {
        var parent = tree.GetNode(PathValidation.Parent(path));
        return parent is null ? 0 : parent.Stat.Cversion + 1;
    }

    public static CreateTxn CreateTxn(DataTree tree, string path, byte[]? data = null, bool ephemeral = false, List<ACL>? acl = null) =>
        new()
        {
            Path = path,
            Data = data ?? [],
            Acl = acl ?? WellKnownAcls.OpenAclUnsafe(),
            Ephemeral = ephemeral,
            ParentCVersion = NextParentCVersion(tree, path),
        };

    public static ProcessTxnResult Create(this DataTree tree, string path, long zxid, byte[]? data = null, long session = 0,
        bool ephemeral = false, long time = Time, OpCode type = OpCode.Create, List<ACL>? acl = null) =>
        tree.ProcessTxn(Header(type, zxid, session, time), CreateTxn(tree, path, data, ephemeral, acl));

    public static ProcessTxnResult CreateContainer(this DataTree tree, string path, long zxid) =>
        tree.ProcessTxn(Header(OpCode.CreateContainer, zxid), new CreateContainerTxn
        {
            Path = path,
            Data = [],
            Acl = WellKnownAcls.OpenAclUnsafe(),
            ParentCVersion = NextParentCVersion(tree, path),
        });

    public static ProcessTxnResult CreateTtl(this DataTree tree, string path, long zxid, long ttl) =>
        tree.ProcessTxn(Header(OpCode.CreateTtl, zxid), new CreateTTLTxn
        {
            Path = path,
            Data = [],
            Acl = WellKnownAcls.OpenAclUnsafe(),
            ParentCVersion = NextParentCVersion(tree, path),
            Ttl = ttl,
        });

    public static ProcessTxnResult Delete(this DataTree tree, string path, long zxid, OpCode type = OpCode.Delete) =>
        tree.ProcessTxn(Header(type, zxid), new DeleteTxn { Path = path });

    public static ProcessTxnResult SetData(this DataTree tree, string path, byte[]? data, long zxid, long time = Time)
    {
        int version = (tree.GetNode(path)?.Stat.Version ?? 0) + 1;
        return tree.ProcessTxn(Header(OpCode.SetData, zxid, time: time), new SetDataTxn { Path = path, Data = data, Version = version });
    }

    public static ProcessTxnResult SetAcl(this DataTree tree, string path, List<ACL> acl, long zxid)
    {
        int version = (tree.GetNode(path)?.Stat.Aversion ?? 0) + 1;
        return tree.ProcessTxn(Header(OpCode.SetAcl, zxid), new SetACLTxn { Path = path, Acl = acl, Version = version });
    }

    public static ProcessTxnResult CloseSession(this DataTree tree, long session, long zxid, List<string?>? paths2Delete = null) =>
        tree.ProcessTxn(Header(OpCode.CloseSession, zxid, session),
            paths2Delete is null ? null : new CloseSessionTxn { Paths2Delete = paths2Delete });

    /// <summary>A multi sub-txn as the log holds it: type + serialized body.</summary>
    public static Txn Sub(OpCode type, IJuteRecord body) => new() { Type = (int)type, Data = JuteSerializer.ToArray(body) };

    public static Stat StatOf(this DataTree tree, string path) =>
        tree.StatNode(path, null) ?? throw new InvalidOperationException("no node " + path);

    public static ACL Acl(Perms perms, string scheme, string id) => new() { Perms = (int)perms, Id = new Id { Scheme = scheme, IdValue = id } };
}
