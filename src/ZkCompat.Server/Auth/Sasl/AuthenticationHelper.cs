using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Auth.Sasl;

/// <summary>
/// Java's <c>AuthenticationHelper</c>: with <c>zookeeper.enforce.auth.enabled</c>, a connection must
/// hold an id of one of <c>zookeeper.enforce.auth.schemes</c> before any request but auth and sasl;
/// otherwise it gets SESSIONCLOSEDREQUIRESASLAUTH and is closed.
/// <c>zookeeper.sessionRequireClientSASLAuth=true</c> means enforcement with the scheme "sasl" alone.
/// </summary>
public sealed class AuthenticationHelper
{
    public const string SaslAuthScheme = "sasl";

    private readonly HashSet<string> _schemes;

    public AuthenticationHelper(bool enforceAuthEnabled, IReadOnlyList<string> enforceAuthSchemes)
    {
        EnforceAuthEnabled = enforceAuthEnabled;
        EnforceAuthSchemes = enforceAuthSchemes;
        _schemes = new HashSet<string>(enforceAuthSchemes, StringComparer.Ordinal);
        IsSaslAuthRequired = enforceAuthEnabled && _schemes.Contains(SaslAuthScheme);
    }

    /// <summary>No enforcement (the default).</summary>
    public static AuthenticationHelper None { get; } = new(false, []);

    public static AuthenticationHelper FromOptions(ServerOptions options) =>
        options.SessionRequireClientSaslAuth
            ? new AuthenticationHelper(true, [SaslAuthScheme])
            : new AuthenticationHelper(options.EnforceAuthEnabled, options.EnforceAuthSchemes);

    public bool EnforceAuthEnabled { get; }

    public IReadOnlyList<string> EnforceAuthSchemes { get; }

    /// <summary>A failed SASL exchange then answers SESSIONCLOSEDREQUIRESASLAUTH and always closes.</summary>
    public bool IsSaslAuthRequired { get; }

    /// <summary>Whether a connection with <paramref name="authInfo"/> may send ordinary requests.</summary>
    public bool IsAuthenticated(IReadOnlyList<Id> authInfo)
    {
        if (!EnforceAuthEnabled) return true;
        foreach (var id in authInfo)
        {
            if (id.Scheme is { } scheme && _schemes.Contains(scheme)) return true;
        }
        return false;
    }

    /// <summary>
    /// Java's startup check: enforcement needs at least one scheme and every scheme needs a provider.
    /// Returns the message Java fails with, or null when the settings are usable.
    /// </summary>
    public string? Validate(Func<string, bool> schemeAvailable)
    {
        if (!EnforceAuthEnabled) return null;
        if (EnforceAuthSchemes.Count == 0)
            return "zookeeper.enforce.auth.enabled is true zookeeper.enforce.auth.schemes must be  configured.";
        foreach (string scheme in EnforceAuthSchemes)
        {
            if (!schemeAvailable(scheme)) return "Authentication scheme " + scheme + " is not available.";
        }
        return null;
    }
}
