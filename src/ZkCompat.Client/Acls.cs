using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Client;

/// <summary>The ACL lists of Java's <c>ZooDefs.Ids</c>.</summary>
public static class Acls
{
    /// <summary><c>world:anyone</c> with every permission.</summary>
    public static IReadOnlyList<ACL> OpenAclUnsafe { get; } = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    /// <summary><c>world:anyone</c> may only read.</summary>
    public static IReadOnlyList<ACL> ReadAclUnsafe { get; } = [new ACL((int)Perms.Read, new Id("world", "anyone"))];

    /// <summary>Every permission for the ids the connection authenticated with (the server expands <c>auth:</c>).</summary>
    public static IReadOnlyList<ACL> CreatorAllAcl { get; } = [new ACL((int)Perms.All, new Id("auth", ""))];

    /// <summary>A digest ACL entry for <c>user:password</c>, hashed as the server's digest provider does.</summary>
    public static ACL Digest(string user, string password, Perms perms) =>
        new((int)perms, new Id("digest", DigestId(user, password)));

    /// <summary><c>user:BASE64(SHA1("user:password"))</c>.</summary>
    public static string DigestId(string user, string password)
    {
        byte[] hash = System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(user + ":" + password));
        return user + ":" + Convert.ToBase64String(hash);
    }
}
