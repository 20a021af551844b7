using System.Net;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Auth.Sasl;

/// <summary>
/// The "sasl" ACL scheme (Java's <c>SASLAuthenticationProvider</c>, registered with
/// <c>authProvider.N=org.apache.zookeeper.server.auth.SASLAuthenticationProvider</c>). Its ids come
/// from the SASL exchange, never from an auth packet. An id matches an ACL entry when equal to it,
/// when the id is "super", or when the entry names the <c>zookeeper.letAnySaslUserDoX</c> user.
/// </summary>
public sealed class SaslAuthenticationProvider(string? letAnySaslUserDoX = null) : IAuthenticationProvider
{
    /// <summary>The Java class name that selects this provider.</summary>
    public const string JavaClassName = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider";

    public string Scheme => "sasl";

    public bool IsAuthenticated => true;

    /// <summary>Any name Java's KerberosName accepts.</summary>
    public bool IsValid(string id) => KerberosName.IsValid(id);

    public bool Matches(string id, string aclExpr) =>
        id == "super" || id == aclExpr || (letAnySaslUserDoX is not null && aclExpr == letAnySaslUserDoX);

    /// <summary><c>addauth sasl …</c> always fails: SASL is negotiated with opcode 102.</summary>
    public ErrorCode HandleAuthentication(ReadOnlySpan<byte> authData, IList<Id> connectionIds, EndPoint? remote) => ErrorCode.AuthFailed;
}
