using System.Net;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Auth;

/// <summary>An ACL scheme (Java's <c>AuthenticationProvider</c>). "world" is matched specially and is not one.</summary>
public interface IAuthenticationProvider
{
    string Scheme { get; }

    /// <summary>
    /// Whether this scheme's ids identify a client well enough to stand for it in an "auth" ACL
    /// (digest: yes; ip: no, addresses are shared and transient).
    /// </summary>
    bool IsAuthenticated { get; }

    /// <summary>Whether an ACL id of this scheme is well formed (checked on create/setACL).</summary>
    bool IsValid(string id);

    /// <summary>Whether a connection's id of this scheme satisfies an ACL entry's id expression.</summary>
    bool Matches(string id, string aclExpr);

    /// <summary>
    /// Handles an AuthPacket's data. On success adds the resulting Id(s) to <paramref name="connectionIds"/>
    /// (a set in Java: an id already present is not added twice) and returns <see cref="ErrorCode.Ok"/>.
    /// </summary>
    ErrorCode HandleAuthentication(ReadOnlySpan<byte> authData, IList<Id> connectionIds, EndPoint? remote);

    /// <summary>The user part of an id, for whoAmI (Java's <c>getUserName</c>).</summary>
    string GetUserName(string id) => id;
}
