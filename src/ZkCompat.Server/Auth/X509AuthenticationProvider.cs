using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network.Tls;

namespace ZkCompat.Server.Auth;

/// <summary>
/// The "x509" scheme (Java's <c>X509AuthenticationProvider</c>, wired by
/// <c>authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider</c>). A client on the
/// secure port that presents a certificate is checked against the trust store once more and gets
/// <c>x509:&lt;subject as X500Principal.getName() prints it&gt;</c>, plus <c>super:&lt;subject&gt;</c> when the
/// subject is <c>X509AuthenticationProvider.superUser</c>. As in Java the trust store is read once, when
/// the provider is first used, and not reloaded with the secure port's stores.
/// </summary>
public sealed class X509AuthenticationProvider : IAuthenticationProvider
{
    public const string JavaClassName = "org.apache.zookeeper.server.auth.X509AuthenticationProvider";

    private readonly Lazy<(ClientCertificateValidator? Validator, string? Problem)> _trust;
    private readonly string? _superUser;

    /// <param name="loadTrust">Reads the trust store: a validator, or null and why not.</param>
    public X509AuthenticationProvider(Func<(ClientCertificateValidator? Validator, string? Problem)> loadTrust, string? superUser)
    {
        _trust = new Lazy<(ClientCertificateValidator?, string?)>(loadTrust, LazyThreadSafetyMode.ExecutionAndPublication);
        _superUser = superUser;
    }

    /// <summary>The provider for the server's <c>zookeeper.ssl.trustStore.*</c> and superUser settings.</summary>
    public static X509AuthenticationProvider FromOptions(ServerOptions options)
    {
        var tls = options.ClientTls;
        return new X509AuthenticationProvider(() => LoadTrust(tls), tls.X509SuperUser);
    }

    private static (ClientCertificateValidator?, string?) LoadTrust(ClientTlsOptions tls)
    {
        if (string.IsNullOrEmpty(tls.TrustStoreLocation)) return (null, "Truststore not specified for client connection");
        try
        {
            string password = KeyStoreLoader.ResolvePassword(tls.TrustStorePassword, tls.TrustStorePasswordPath);
            var anchors = KeyStoreLoader.LoadTrustStore(tls.TrustStoreLocation, password, tls.TrustStoreType, ClientTlsOptions.Prefix + "trustStore.type");
            return (new ClientCertificateValidator(anchors, tls.CrlEnabled || tls.OcspEnabled), null);
        }
        catch (TlsSetupException e)
        {
            return (null, "Failed to create trust manager: " + e.Message);
        }
    }

    public string Scheme => "x509";

    public bool IsAuthenticated => true;

    /// <summary>Why no certificate can be trusted (no or unreadable trust store); null when all is well. Reads the store.</summary>
    public string? TrustProblem => _trust.Value.Problem;

    /// <summary>Java: <c>new X500Principal(id)</c> must accept it.</summary>
    public bool IsValid(string id) => JavaX500Name.IsValid(id);

    /// <summary>Exact equality; with a super user configured, the super user matches every x509 ACL.</summary>
    public bool Matches(string id, string aclExpr) =>
        string.Equals(id, aclExpr, StringComparison.Ordinal) || (_superUser is not null && string.Equals(id, _superUser, StringComparison.Ordinal));

    /// <summary>An auth packet carries no certificate: only a secure connection's own chain can authenticate.</summary>
    public ErrorCode HandleAuthentication(ReadOnlySpan<byte> authData, IList<Id> connectionIds, EndPoint? remote) => ErrorCode.AuthFailed;

    /// <summary>
    /// <c>handleAuthentication</c> with the certificates the client sent (leaf first): AUTHFAILED without
    /// any, without a trust store or when the chain is not trusted (<paramref name="failure"/> says which).
    /// </summary>
    public ErrorCode Authenticate(IReadOnlyList<X509Certificate2>? chain, IList<Id> connectionIds, out string? failure)
    {
        failure = null;
        if (chain is null || chain.Count == 0)
        {
            failure = "no client certificate";
            return ErrorCode.AuthFailed;
        }
        var (validator, problem) = _trust.Value;
        if (validator is null)
        {
            failure = "No trust manager available (" + problem + ")";
            return ErrorCode.AuthFailed;
        }
        string clientId;
        try
        {
            if (!validator.IsTrusted(chain, out string? reason))
            {
                failure = "Failed to trust certificate: " + reason;
                return ErrorCode.AuthFailed;
            }
            clientId = JavaX500Name.Format(chain[0].SubjectName.RawData);
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            failure = "Failed to trust certificate: " + e.Message;
            return ErrorCode.AuthFailed;
        }
        if (clientId == _superUser) DigestAuthenticationProvider.AddOnce(connectionIds, new Id("super", clientId));
        DigestAuthenticationProvider.AddOnce(connectionIds, new Id(Scheme, clientId));
        return ErrorCode.Ok;
    }
}
