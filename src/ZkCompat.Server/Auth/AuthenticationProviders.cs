using ZkCompat.Server.Auth.Sasl;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Auth;

/// <summary>
/// The ACL schemes this server knows (Java's <c>ProviderRegistry</c>): "ip", "digest" unless
/// disabled, and any extra provider (sasl, x509) the caller wires in. "world" and "auth" are
/// handled by <see cref="AclChecker"/> and "super" is an id, not a scheme with a provider.
/// </summary>
public sealed class AuthenticationProviders
{
    private readonly Dictionary<string, IAuthenticationProvider> _providers = new(StringComparer.Ordinal);

    public AuthenticationProviders(string? superDigest)
        : this(superDigest, digestEnabled: true, DigestAuth.DefaultAlgorithm, additional: null)
    {
    }

    public AuthenticationProviders(
        string? superDigest,
        bool digestEnabled,
        string digestAlgorithm,
        IEnumerable<IAuthenticationProvider>? additional)
    {
        Add(new IpAuthenticationProvider());
        if (digestEnabled) Add(new DigestAuthenticationProvider(superDigest, digestAlgorithm));
        foreach (var provider in additional ?? []) Add(provider);
    }

    /// <summary>
    /// The providers the options ask for (super digest, digest switch and algorithm, the
    /// <c>authProvider.*</c> classes this server implements) and the SASL settings.
    /// </summary>
    public static AuthenticationProviders FromOptions(ServerOptions options, IEnumerable<IAuthenticationProvider>? additional = null) =>
        new(options.SuperDigest, options.DigestAuthEnabled, options.DigestAlgorithm, [.. Configured(options), .. additional ?? []])
        {
            Sasl = SaslAuthentication.FromOptions(options),
        };

    /// <summary>SASL negotiation (opcode 102) and authentication enforcement; disabled unless configured.</summary>
    public SaslAuthentication Sasl { get; init; } = SaslAuthentication.Disabled;

    // Java instantiates each authProvider.* class by name; the ones with a counterpart here are mapped.
    private static IEnumerable<IAuthenticationProvider> Configured(ServerOptions options)
    {
        foreach (string className in options.AuthProviderClasses.Values)
        {
            if (className == SaslAuthenticationProvider.JavaClassName)
                yield return new SaslAuthenticationProvider(options.GetProperty("zookeeper.letAnySaslUserDoX"));
            else if (className == X509AuthenticationProvider.JavaClassName)
                yield return X509AuthenticationProvider.FromOptions(options);
        }
    }

    public IAuthenticationProvider? Get(string? scheme) => scheme is null ? null : _providers.GetValueOrDefault(scheme);

    public IEnumerable<string> Schemes => _providers.Keys;

    // Like Java's registry, a later provider for the same scheme replaces the earlier one.
    private void Add(IAuthenticationProvider provider) => _providers[provider.Scheme] = provider;
}
