using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Data;

/// <summary>Java's <c>ZooDefs.Ids</c>. Fresh lists each time, since ACL records are mutable.</summary>
public static class WellKnownAcls
{
    /// <summary>world:anyone.</summary>
    public static Id AnyoneIdUnsafe() => new() { Scheme = "world", IdValue = "anyone" };

    /// <summary>auth: (the ids of the connection's authenticated users, expanded by the processor).</summary>
    public static Id AuthIds() => new() { Scheme = "auth", IdValue = "" };

    /// <summary>[ALL, world:anyone]; also what ACL reference -1 stands for.</summary>
    public static List<ACL> OpenAclUnsafe() => [new ACL { Perms = (int)Perms.All, Id = AnyoneIdUnsafe() }];

    /// <summary>[ALL, auth:].</summary>
    public static List<ACL> CreatorAllAcl() => [new ACL { Perms = (int)Perms.All, Id = AuthIds() }];

    /// <summary>[READ, world:anyone]; the ACL of /zookeeper/config.</summary>
    public static List<ACL> ReadAclUnsafe() => [new ACL { Perms = (int)Perms.Read, Id = AnyoneIdUnsafe() }];
}
