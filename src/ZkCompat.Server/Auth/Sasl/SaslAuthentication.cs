using System.Net;
using Microsoft.Extensions.Logging;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Auth.Sasl;

/// <summary>
/// What a connection does with an opcode-102 request (Java's <c>ZooKeeperServer.processSasl</c>):
/// reply (if any), the SetSASLResponse token, whether to close, and the connection's ids afterwards.
/// A null <see cref="Err"/> means no reply at all: the connection is dropped as Java drops it when
/// its SASL server throws a runtime exception.
/// </summary>
public sealed record SaslOutcome(ErrorCode? Err, byte[]? Token, bool Close, IReadOnlyList<Id> AuthInfo);

/// <summary>
/// The server-wide SASL settings and the exchange step every connection runs through. Replies leave
/// at once (zxid 0), outside the processor chain, as Java sends them.
/// </summary>
public sealed partial class SaslAuthentication
{
    public const string SuperUserProperty = "zookeeper.superUser";

    private readonly IReadOnlyList<string> _superUsers;

    public SaslAuthentication(SaslLogin? login, AuthenticationHelper enforcement, bool allowSaslFailedClients, IReadOnlyList<string>? superUsers = null)
    {
        Login = login;
        Enforcement = enforcement;
        AllowSaslFailedClients = allowSaslFailedClients;
        _superUsers = superUsers ?? [];
    }

    /// <summary>No JAAS login, no enforcement.</summary>
    public static SaslAuthentication Disabled { get; } = new(null, AuthenticationHelper.None, false);

    public static SaslAuthentication FromOptions(ServerOptions options) =>
        new(SaslLogin.FromOptions(options), AuthenticationHelper.FromOptions(options), options.AllowSaslFailedClients, SuperUsers(options));

    /// <summary>Null when the JAAS configuration has no server section.</summary>
    public SaslLogin? Login { get; }

    public AuthenticationHelper Enforcement { get; }

    /// <summary><c>zookeeper.allowSaslFailedClients</c>: keep a connection whose exchange failed (unless SASL is enforced).</summary>
    public bool AllowSaslFailedClients { get; }

    /// <summary>The values of <c>zookeeper.superUser</c> and <c>zookeeper.superUser.*</c>: SASL users who also get <c>super</c>.</summary>
    public static IReadOnlyList<string> SuperUsers(ServerOptions options)
    {
        var users = new List<string>();
        foreach (var (key, value) in options.SystemProperties)
        {
            if (key.StartsWith(SuperUserProperty, StringComparison.Ordinal)
                && (key.Length == SuperUserProperty.Length || key[SuperUserProperty.Length] == '.'))
            {
                users.Add(value);
            }
        }
        return users;
    }

    /// <summary>The per-connection server, created when the connection first needs it; null without a login.</summary>
    public ISaslServer? CreateSaslServer() => Login?.CreateSaslServer();

    /// <summary>
    /// One SASL request. <paramref name="token"/> is GetSASLRequest's token (null when the client sent
    /// length -1, on which Java's server fails before answering).
    /// </summary>
    public SaslOutcome ProcessSasl(ISaslServer? saslServer, byte[]? token, IReadOnlyList<Id> authInfo, long sessionId, EndPoint remote, ILogger log)
    {
        if (token is null)
        {
            LogNullToken(log, remote);
            return new SaslOutcome(null, null, Close: true, authInfo);
        }
        if (saslServer is null)
        {
            // Java dereferences the missing server, logs this and still answers OK with no token.
            LogNoSaslServer(log);
            return new SaslOutcome(ErrorCode.Ok, null, Close: false, authInfo);
        }
        byte[]? response = null;
        try
        {
            response = saslServer.EvaluateResponse(token);
            if (saslServer.IsComplete)
            {
                string authorizationId = saslServer.AuthorizationId;
                LogAuthorized(log, sessionId, authorizationId);
                var ids = new List<Id>(authInfo);
                AddOnce(ids, new Id("sasl", authorizationId));
                if (IsSaslSuperUser(authorizationId))
                {
                    AddOnce(ids, new Id("super", ""));
                    LogSuperUser(log, sessionId, authorizationId);
                }
                authInfo = ids;
            }
        }
        catch (SaslException e)
        {
            LogFailed(log, remote, saslServer.MechanismName, e.Message);
            if (AllowSaslFailedClients && !Enforcement.IsSaslAuthRequired)
            {
                LogMaintaining(log);
                return new SaslOutcome(ErrorCode.Ok, null, Close: false, authInfo);
            }
            ErrorCode err;
            if (Enforcement.IsSaslAuthRequired)
            {
                LogClosingRequired(log);
                err = ErrorCode.SessionClosedRequireSaslAuth;
            }
            else
            {
                LogClosingFailed(log);
                err = ErrorCode.AuthFailed;
            }
            // Java sends SetSASLResponse(null) after the error header, unlike other error replies.
            return new SaslOutcome(err, null, Close: true, authInfo);
        }
        catch (SaslProtocolException e)
        {
            LogUnexpected(log, remote, e.Message);
            return new SaslOutcome(null, null, Close: true, authInfo);
        }
        return new SaslOutcome(ErrorCode.Ok, response, Close: false, authInfo);
    }

    private bool IsSaslSuperUser(string id)
    {
        if (string.IsNullOrEmpty(id)) return false;
        foreach (string user in _superUsers)
        {
            if (user == id) return true;
        }
        return false;
    }

    private static void AddOnce(List<Id> ids, Id id)
    {
        if (!ids.Contains(id)) ids.Add(id);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session 0x{SessionId:x}: adding SASL authorization for authorizationID: {AuthorizationId}")]
    private static partial void LogAuthorized(ILogger log, long sessionId, string authorizationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session 0x{SessionId:x}: Authenticated Id '{AuthorizationId}' as super user")]
    private static partial void LogSuperUser(ILogger log, long sessionId, string authorizationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client {Remote} failed to SASL authenticate ({Mechanism}): {Reason}")]
    private static partial void LogFailed(ILogger log, EndPoint remote, string mechanism, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Maintaining client connection despite SASL authentication failure.")]
    private static partial void LogMaintaining(ILogger log);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing client connection due to server requires client SASL authentication, but client SASL authentication has failed, or client is not configured with SASL authentication.")]
    private static partial void LogClosingRequired(ILogger log);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing client connection due to SASL authentication failure.")]
    private static partial void LogClosingFailed(ILogger log);

    [LoggerMessage(Level = LogLevel.Error, Message = "cnxn.saslServer is null: no JAAS server section is configured, so SASL cannot be negotiated")]
    private static partial void LogNoSaslServer(ILogger log);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SASL request from {Remote} has a null token: closing the connection")]
    private static partial void LogNullToken(ILogger log, EndPoint remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unexpected SASL input from {Remote}: {Reason}; closing the connection")]
    private static partial void LogUnexpected(ILogger log, EndPoint remote, string reason);
}
