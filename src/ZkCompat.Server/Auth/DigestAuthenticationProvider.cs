using System.Net;
using System.Text;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Auth;

/// <summary>
/// The "digest" scheme: the client sends "user:password", the connection gets
/// <c>digest:user:BASE64(SHA1(user:password))</c>, and also <c>super:</c> when that equals the
/// configured super digest. ACL ids match by exact string equality.
/// </summary>
public sealed class DigestAuthenticationProvider(string? superDigest, string algorithm = DigestAuth.DefaultAlgorithm)
    : IAuthenticationProvider
{
    public string Scheme => "digest";

    public bool IsAuthenticated => true;

    /// <summary>Exactly two ':'-separated parts, by Java's split rules ("a:b:" counts as two, "a:" as one).</summary>
    public bool IsValid(string id) => JavaText.Split(id, ':').Length == 2;

    public bool Matches(string id, string aclExpr) => string.Equals(id, aclExpr, StringComparison.Ordinal);

    public ErrorCode HandleAuthentication(ReadOnlySpan<byte> authData, IList<Id> connectionIds, EndPoint? remote)
    {
        string digest = DigestAuth.GenerateDigest(Encoding.UTF8.GetString(authData), algorithm);
        if (superDigest is not null && digest == superDigest) AddOnce(connectionIds, new Id("super", ""));
        AddOnce(connectionIds, new Id(Scheme, digest));
        return ErrorCode.Ok;
    }

    public string GetUserName(string id)
    {
        string[] parts = JavaText.Split(id, ':');
        return parts.Length > 0 ? parts[0] : "";
    }

    internal static void AddOnce(IList<Id> ids, Id id)
    {
        if (!ids.Contains(id)) ids.Add(id);
    }
}
