using ZkCompat.Server.Config;

namespace ZkCompat.Server.Auth.Sasl;

/// <summary>
/// The server's SASL login (Java's <c>ServerCnxnFactory.login</c> with its callback handler): present
/// when the JAAS configuration has the server section (<c>zookeeper.sasl.serverconfig</c>, default
/// "Server"). Java picks GSSAPI when the section's login leaves principals in the subject (Kerberos)
/// and DIGEST-MD5 otherwise (<c>DigestLoginModule</c>). GSSAPI is not implemented here: such a login
/// exists, but every exchange on it fails.
/// </summary>
public sealed class SaslLogin
{
    /// <summary>The SASL protocol name of client connections.</summary>
    public const string Protocol = "zookeeper";

    /// <summary>The server name (and DIGEST-MD5 realm) client connections use, hard-wired on both sides.</summary>
    public const string ServerName = "zk-sasl-md5";

    public const string DigestLoginModule = "org.apache.zookeeper.server.auth.DigestLoginModule";

    public const string DigestMechanism = "DIGEST-MD5";

    public const string GssapiMechanism = "GSSAPI";

    private readonly Func<byte[]>? _nonceSource;

    public SaslLogin(string section, string mechanism, SaslServerCallbackHandler callbacks, Func<byte[]>? nonceSource = null)
    {
        Section = section;
        Mechanism = mechanism;
        Callbacks = callbacks;
        _nonceSource = nonceSource;
    }

    /// <summary>The JAAS section it came from.</summary>
    public string Section { get; }

    /// <summary>"DIGEST-MD5", or "GSSAPI" (unsupported).</summary>
    public string Mechanism { get; }

    public SaslServerCallbackHandler Callbacks { get; }

    public bool IsSupported => Mechanism == DigestMechanism;

    /// <summary>
    /// The login the options describe; null when no JAAS file was given or it lacks the section (then,
    /// as in Java, a SASL request gets an empty OK answer). Notes for the log go to <paramref name="warnings"/>.
    /// </summary>
    public static SaslLogin? FromOptions(ServerOptions options, IList<string>? warnings = null)
    {
        var entries = options.JaasConfiguration?.GetSection(options.SaslServerSection);
        if (entries is null) return null;
        bool kerberos = false;
        foreach (var entry in entries)
        {
            if (entry.LoginModuleName.EndsWith("Krb5LoginModule", StringComparison.Ordinal))
            {
                kerberos = true;
            }
            else if (entry.LoginModuleName != DigestLoginModule)
            {
                warnings?.Add($"JAAS section '{options.SaslServerSection}': login module {entry.LoginModuleName} cannot run here; " +
                              "only its user_* options are used");
            }
        }
        string? superPassword = options.GetProperty("zookeeper.SASLAuthenticationProvider.superPassword");
        var callbacks = SaslServerCallbackHandler.FromSection(entries, superPassword);
        if (kerberos)
        {
            warnings?.Add($"JAAS section '{options.SaslServerSection}' logs in with Kerberos: SASL mechanism GSSAPI is not supported " +
                          "by ZkCompat, so every client SASL authentication will fail (only DIGEST-MD5 with DigestLoginModule is)");
        }
        return new SaslLogin(options.SaslServerSection, kerberos ? GssapiMechanism : DigestMechanism, callbacks);
    }

    /// <summary>A fresh server for one connection (Java's <c>ZooKeeperSaslServer</c>).</summary>
    public ISaslServer CreateSaslServer() =>
        IsSupported
            ? new DigestMd5Server(Protocol, ServerName, Callbacks, _nonceSource)
            : new UnsupportedSaslServer(Mechanism);
}

/// <summary>A mechanism this server cannot run (GSSAPI): every token fails the exchange, saying why.</summary>
public sealed class UnsupportedSaslServer(string mechanism) : ISaslServer
{
    public string MechanismName => mechanism;

    public bool IsComplete => false;

    public string AuthorizationId => throw new InvalidOperationException(mechanism + " negotiation not complete");

    public byte[] EvaluateResponse(ReadOnlySpan<byte> response) =>
        throw new SaslException($"SASL mechanism {mechanism} (Kerberos) is not supported by ZkCompat; use DIGEST-MD5");
}
