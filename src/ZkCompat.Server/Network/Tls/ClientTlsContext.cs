using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Network.Tls;

/// <summary><c>ssl.clientAuth</c> (Java's <c>X509Util.ClientAuth</c>).</summary>
public enum ClientAuthMode
{
    /// <summary>No certificate is asked for.</summary>
    None,

    /// <summary>A certificate is asked for; a client without one is let in (with no x509 id).</summary>
    Want,

    /// <summary>A client without a trusted certificate fails the handshake (the default).</summary>
    Need,
}

/// <summary>
/// Everything a secure-port handshake needs, built from the settings in one go (Java's
/// <c>SSLContextAndOptions</c>): the server key and chain, the trust anchors, the enabled protocols and
/// cipher suites and the client-auth mode. Immutable; a reload builds a new one.
/// </summary>
public sealed class ClientTlsContext
{
    /// <summary>Java 9+'s <c>X509Util</c> default: ECDHE with GCM first, then CBC.</summary>
    public static readonly IReadOnlyList<string> DefaultCipherSuites =
    [
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    ];

    // SSLContext.getInstance accepts these; the enabled protocols must be real protocol versions.
    private static readonly HashSet<string> ContextProtocols = new(StringComparer.Ordinal)
    {
        "TLS", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", "SSL", "SSLv3", "Default",
    };

    private ClientTlsContext(ServerKeyMaterial? key, ClientCertificateValidator validator, SslProtocols protocols,
        CipherSuitesPolicy? cipherSuites, ClientAuthMode clientAuth, bool checkRevocation)
    {
        Key = key;
        CertificateContext = key is null ? null : SslStreamCertificateContext.Create(key.Certificate, key.Chain, offline: true);
        Validator = validator;
        Protocols = protocols;
        CipherSuites = cipherSuites;
        ClientAuth = clientAuth;
        CheckRevocation = checkRevocation;
    }

    /// <summary>The server's certificate; null when no key store is configured (every handshake then fails).</summary>
    public ServerKeyMaterial? Key { get; }

    public SslStreamCertificateContext? CertificateContext { get; }
    public ClientCertificateValidator Validator { get; }
    public SslProtocols Protocols { get; }

    /// <summary>Null where the platform cannot restrict cipher suites (Windows).</summary>
    public CipherSuitesPolicy? CipherSuites { get; }

    public ClientAuthMode ClientAuth { get; }
    public bool CheckRevocation { get; }

    /// <summary>
    /// Builds the context as <c>X509Util.createSSLContextAndOptionsFromConfig</c> does, in its order. Problems
    /// Java only logs (no key store, no trust store) go to <paramref name="warnings"/>.
    /// </summary>
    /// <exception cref="TlsSetupException">A setting or a store that Java would refuse too.</exception>
    public static ClientTlsContext Create(ClientTlsOptions o, List<string> warnings)
    {
        if (o.ContextSupplierClass is { } supplier)
            throw new TlsSetupException($"{ClientTlsOptions.Prefix}context.supplier.class ({supplier}) names a Java class; it is not supported by ZkCompat");

        ServerKeyMaterial? key = null;
        if (string.IsNullOrEmpty(o.KeyStoreLocation))
        {
            warnings.Add(ClientTlsOptions.Prefix + "keyStore.location not specified");
        }
        else
        {
            string password = KeyStoreLoader.ResolvePassword(o.KeyStorePassword, o.KeyStorePasswordPath);
            key = KeyStoreLoader.LoadKeyStore(o.KeyStoreLocation, password, o.KeyStoreType, ClientTlsOptions.Prefix + "keyStore.type");
        }

        bool checkRevocation = o.CrlEnabled || o.OcspEnabled;
        X509Certificate2Collection? anchors = null;
        if (string.IsNullOrEmpty(o.TrustStoreLocation))
        {
            warnings.Add(ClientTlsOptions.Prefix + "trustStore.location not specified");
        }
        else
        {
            string password = KeyStoreLoader.ResolvePassword(o.TrustStorePassword, o.TrustStorePasswordPath);
            anchors = KeyStoreLoader.LoadTrustStore(o.TrustStoreLocation, password, o.TrustStoreType, ClientTlsOptions.Prefix + "trustStore.type");
        }

        if (!ContextProtocols.Contains(o.Protocol)) throw new TlsSetupException($"{o.Protocol} SSLContext not available");
        var protocols = EnabledProtocols(o.EnabledProtocols is null ? [o.Protocol] : o.EnabledProtocols.Split(','));
        var cipherSuites = CipherSuitePolicy(o.CipherSuites is null ? DefaultCipherSuites : o.CipherSuites.Split(','), warnings);
        var clientAuth = ParseClientAuth(o.ClientAuth);
        return new ClientTlsContext(key, new ClientCertificateValidator(anchors, checkRevocation), protocols, cipherSuites, clientAuth, checkRevocation);
    }

    /// <summary><c>ClientAuth.fromPropertyValue</c>: empty or absent is NEED.</summary>
    public static ClientAuthMode ParseClientAuth(string? value) => string.IsNullOrEmpty(value)
        ? ClientAuthMode.Need
        : value.ToUpperInvariant() switch
        {
            "NONE" => ClientAuthMode.None,
            "WANT" => ClientAuthMode.Want,
            "NEED" => ClientAuthMode.Need,
            _ => throw new TlsSetupException("No enum constant org.apache.zookeeper.common.X509Util.ClientAuth." + value.ToUpperInvariant()),
        };

    // Java 17 knows TLSv1 and TLSv1.1 but disables them; only TLSv1.2 and TLSv1.3 can be negotiated.
    private static SslProtocols EnabledProtocols(IEnumerable<string> names)
    {
        var protocols = SslProtocols.None;
        foreach (string name in names)
        {
            protocols |= name switch
            {
                "TLSv1.3" => SslProtocols.Tls13,
                "TLSv1.2" => SslProtocols.Tls12,
                "TLSv1.1" or "TLSv1" or "SSLv3" or "SSLv2Hello" => SslProtocols.None,
                _ => throw new TlsSetupException("Unsupported protocol: " + name),
            };
        }
        if (protocols == SslProtocols.None)
            throw new TlsSetupException("No appropriate protocol (protocol is disabled or cipher suites are inappropriate)");
        return protocols;
    }

    private static CipherSuitesPolicy? CipherSuitePolicy(IEnumerable<string> names, List<string> warnings)
    {
        var suites = new List<TlsCipherSuite>();
        foreach (string name in names)
        {
            if (!Enum.TryParse(name, ignoreCase: false, out TlsCipherSuite suite) || !Enum.IsDefined(suite))
                throw new TlsSetupException("Unsupported CipherSuite: " + name);
            suites.Add(suite);
        }
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()) return new CipherSuitesPolicy(suites);
        warnings.Add(ClientTlsOptions.Prefix + "ciphersuites cannot be applied on this platform; its own cipher suites are used");
        return null;
    }

    /// <summary>The SslStream options of one handshake; <paramref name="validate"/> sees the client's certificate.</summary>
    public SslServerAuthenticationOptions ServerOptions(RemoteCertificateValidationCallback validate) => new()
    {
        ServerCertificateContext = CertificateContext,
        ClientCertificateRequired = ClientAuth != ClientAuthMode.None,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = CipherSuites,
        CertificateRevocationCheckMode = CheckRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
        CertificateChainPolicy = ClientAuth == ClientAuthMode.None ? null : Validator.CreatePolicy(),
        RemoteCertificateValidationCallback = validate,
        // Java sets jdk.tls.rejectClientInitiatedRenegotiation.
        AllowRenegotiation = false,
    };
}
