namespace ZkCompat.Server.Auth.Sasl;

/// <summary>
/// What Java's <c>SaslServerCallbackHandler</c> answers the DIGEST-MD5 server: the password of a user
/// from the JAAS section's <c>user_&lt;name&gt;="password"</c> options (for "super", the
/// <c>zookeeper.SASLAuthenticationProvider.superPassword</c> property when set), and the authorization
/// id a successful client gets.
/// </summary>
public sealed class SaslServerCallbackHandler
{
    /// <summary>The option prefix that marks a DIGEST-MD5 user in the JAAS section.</summary>
    public const string UserPrefix = "user_";

    private readonly Dictionary<string, string> _credentials;
    private readonly string? _superPassword;

    public SaslServerCallbackHandler(IReadOnlyDictionary<string, string> credentials, string? superPassword = null)
    {
        _credentials = new Dictionary<string, string>(credentials, StringComparer.Ordinal);
        _superPassword = superPassword;
    }

    /// <summary>The users of a JAAS section: every entry's <c>user_*</c> options, later entries winning.</summary>
    public static SaslServerCallbackHandler FromSection(IEnumerable<JaasLoginModuleEntry> entries, string? superPassword)
    {
        var credentials = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            foreach (var (key, value) in entry.Options)
            {
                if (key.StartsWith(UserPrefix, StringComparison.Ordinal)) credentials[key[UserPrefix.Length..]] = value;
            }
        }
        return new SaslServerCallbackHandler(credentials, superPassword);
    }

    public IEnumerable<string> Users => _credentials.Keys;

    /// <summary>
    /// The password to check <paramref name="username"/>'s digest against; null for a user who is not
    /// in the section. (Java keeps the last known user name across connections and may answer with
    /// that user's password for an unknown one; this handler never does.)
    /// </summary>
    public string? GetPassword(string username)
    {
        if (!_credentials.TryGetValue(username, out string? password)) return null;
        return username == "super" && _superPassword is not null ? _superPassword : password;
    }

    /// <summary>
    /// The authorization id for an authenticated user: the user name itself. Java canonicalises it as a
    /// Kerberos principal and keeps the host and realm parts unless
    /// <c>zookeeper.kerberos.removeHostFromPrincipal/removeRealmFromPrincipal</c> say otherwise, which
    /// gives the same name back; a name Java cannot parse as a principal ("a@b@c") drops the connection.
    /// </summary>
    public string Authorize(string authenticationId, string requestedAuthorizationId)
    {
        _ = requestedAuthorizationId;
        if (!KerberosName.IsValid(authenticationId))
            throw new SaslProtocolException("Malformed Kerberos name: " + authenticationId);
        return authenticationId;
    }
}
