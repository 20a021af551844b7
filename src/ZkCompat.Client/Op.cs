using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Client;

/// <summary>One operation of a multi (14) or multiRead (22), as Java's <c>Op</c> encodes it.</summary>
public abstract record Op(string Path)
{
    /// <summary>The opcode written in the op's MultiHeader.</summary>
    public abstract OpCode Type { get; }

    /// <summary>The request record that follows the MultiHeader.</summary>
    public abstract IJuteRecord ToRequest();

    /// <summary>
    /// Create: createTTL (21) for TTL modes, createContainer (19) for containers, else create (1),
    /// the opcodes Java's <c>Op.create</c> picks.
    /// </summary>
    public sealed record Create(string Path, byte[]? Data, IReadOnlyList<ACL> Acl, CreateMode Mode = CreateMode.Persistent, long Ttl = -1)
        : Op(Path)
    {
        public override OpCode Type => Mode.IsTtl() ? OpCode.CreateTtl : Mode.IsContainer() ? OpCode.CreateContainer : OpCode.Create;

        public override IJuteRecord ToRequest() => Mode.IsTtl()
            ? new CreateTTLRequest(Path, Data, AclList.From(Acl), (int)Mode, Ttl)
            : new CreateRequest(Path, Data, AclList.From(Acl), (int)Mode);
    }

    public sealed record Delete(string Path, int Version = -1) : Op(Path)
    {
        public override OpCode Type => OpCode.Delete;

        public override IJuteRecord ToRequest() => new DeleteRequest(Path, Version);
    }

    public sealed record SetData(string Path, byte[]? Data, int Version = -1) : Op(Path)
    {
        public override OpCode Type => OpCode.SetData;

        public override IJuteRecord ToRequest() => new SetDataRequest(Path, Data, Version);
    }

    public sealed record Check(string Path, int Version) : Op(Path)
    {
        public override OpCode Type => OpCode.Check;

        public override IJuteRecord ToRequest() => new CheckVersionRequest(Path, Version);
    }

    /// <summary>multiRead only.</summary>
    public sealed record GetData(string Path) : Op(Path)
    {
        public override OpCode Type => OpCode.GetData;

        // Java sends watch=false; the server ignores the flag inside multiRead anyway.
        public override IJuteRecord ToRequest() => new GetDataRequest(Path, false);
    }

    /// <summary>multiRead only.</summary>
    public sealed record GetChildren(string Path) : Op(Path)
    {
        public override OpCode Type => OpCode.GetChildren;

        public override IJuteRecord ToRequest() => new GetChildrenRequest(Path, false);
    }
}

/// <summary>One entry of a multi / multiRead reply (Java's <c>OpResult</c>).</summary>
public abstract record OpResult
{
    /// <summary>The MultiHeader type the server sent for this entry.</summary>
    public abstract OpCode Type { get; }

    /// <summary>Result of a create; <see cref="Stat"/> only when the server sent create2 (15).</summary>
    public sealed record CreateResult(string? Path, Stat? Stat = null) : OpResult
    {
        public override OpCode Type => Stat is null ? OpCode.Create : OpCode.Create2;
    }

    public sealed record DeleteResult : OpResult
    {
        public override OpCode Type => OpCode.Delete;
    }

    public sealed record SetDataResult(Stat Stat) : OpResult
    {
        public override OpCode Type => OpCode.SetData;
    }

    public sealed record CheckResult : OpResult
    {
        public override OpCode Type => OpCode.Check;
    }

    public sealed record GetDataResult(byte[]? Data, Stat Stat) : OpResult
    {
        public override OpCode Type => OpCode.GetData;
    }

    public sealed record GetChildrenResult(List<string> Children) : OpResult
    {
        public override OpCode Type => OpCode.GetChildren;
    }

    /// <summary>
    /// An error entry. After an atomic multi failure every entry is one of these: 0 for the ops
    /// before the failing one, its code, then RUNTIMEINCONSISTENCY.
    /// </summary>
    public sealed record ErrorResult(ErrorCode Error) : OpResult
    {
        public override OpCode Type => OpCode.Error;
    }
}

internal static class AclList
{
    /// <summary>The generated records want a List; pass a caller's List through without copying.</summary>
    public static List<ACL>? From(IReadOnlyList<ACL>? acl) => acl switch
    {
        null => null,
        List<ACL> list => list,
        _ => new List<ACL>(acl),
    };
}
