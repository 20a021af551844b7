namespace ZkCompat.Server.Config;

/// <summary>
/// The client-port TLS settings, as Java's <c>ClientX509Util</c> reads them: <c>zookeeper.ssl.*</c> system
/// properties, which zoo.cfg's <c>ssl.*</c> keys become. Values are kept as written: Java interprets most
/// of them only when the first secure connection arrives (and fails that connection, not the server, on a
/// bad one), and <see cref="Network.Tls.ClientTlsContext"/> does the same.
/// </summary>
public sealed record ClientTlsOptions
{
    public const string Prefix = "zookeeper.ssl.";
    public const string DefaultProtocol = "TLSv1.2";

    public string? KeyStoreLocation { get; init; }
    public string? KeyStorePassword { get; init; }

    /// <summary><c>keyStore.passwordPath</c>: a file holding the password; it wins over <see cref="KeyStorePassword"/>.</summary>
    public string? KeyStorePasswordPath { get; init; }

    /// <summary>JKS, PEM, PKCS12 or BCFKS; empty means "from the file name" (.jks, .pem, .p12, .bcfks).</summary>
    public string? KeyStoreType { get; init; }

    public string? TrustStoreLocation { get; init; }
    public string? TrustStorePassword { get; init; }
    public string? TrustStorePasswordPath { get; init; }
    public string? TrustStoreType { get; init; }

    /// <summary><c>ssl.protocol</c>: the SSLContext protocol, also the only enabled one unless <see cref="EnabledProtocols"/> is set.</summary>
    public string Protocol { get; init; } = DefaultProtocol;

    /// <summary><c>ssl.enabledProtocols</c>: comma-separated, as written (Java does not trim the entries).</summary>
    public string? EnabledProtocols { get; init; }

    /// <summary><c>ssl.ciphersuites</c>: comma-separated; null means Java's default list.</summary>
    public string? CipherSuites { get; init; }

    /// <summary><c>ssl.clientAuth</c>: none, want or need (case-insensitive); empty or absent means need.</summary>
    public string? ClientAuth { get; init; }

    /// <summary><c>ssl.crl</c> / <c>ssl.ocsp</c>: check revocation of client certificates.</summary>
    public bool CrlEnabled { get; init; }
    public bool OcspEnabled { get; init; }

    /// <summary><c>ssl.context.supplier.class</c>: a Java class; cannot be honoured here.</summary>
    public string? ContextSupplierClass { get; init; }

    /// <summary><c>zookeeper.ssl.authProvider</c>: the scheme of the provider that authenticates client certificates (x509).</summary>
    public string? AuthProvider { get; init; }

    /// <summary><c>zookeeper.client.certReload</c> (3.8.1+): reload key and trust stores when their files change.</summary>
    public bool CertReload { get; init; }

    /// <summary><c>zookeeper.netty.server.outstandingHandshake.limit</c>: concurrent TLS handshakes; ≤ 0 = unlimited.</summary>
    public int OutstandingHandshakeLimit { get; init; } = -1;

    /// <summary><c>zookeeper.netty.server.earlyDropSecureConnectionHandshakes</c>: skip the handshake while not serving.</summary>
    public bool EarlyDropSecureConnectionHandshakes { get; init; }

    /// <summary><c>zookeeper.X509AuthenticationProvider.superUser</c>: the certificate subject that is super.</summary>
    public string? X509SuperUser { get; init; }

    /// <summary>The properties this record reads (so zoo.cfg's ssl.* keys are not reported as unknown).</summary>
    public static readonly IReadOnlyList<string> PropertyNames =
    [
        Prefix + "keyStore.location", Prefix + "keyStore.password", Prefix + "keyStore.passwordPath", Prefix + "keyStore.type",
        Prefix + "trustStore.location", Prefix + "trustStore.password", Prefix + "trustStore.passwordPath", Prefix + "trustStore.type",
        Prefix + "protocol", Prefix + "enabledProtocols", Prefix + "ciphersuites", Prefix + "clientAuth", Prefix + "crl",
        Prefix + "ocsp", Prefix + "context.supplier.class", Prefix + "authProvider", Prefix + "hostnameVerification",
        Prefix + "handshakeDetectionTimeoutMillis", "zookeeper.client.certReload", "zookeeper.netty.server.outstandingHandshake.limit",
        "zookeeper.netty.server.earlyDropSecureConnectionHandshakes", "zookeeper.X509AuthenticationProvider.superUser",
        "zookeeper.serverCnxnFactory",
    ];

    /// <summary>Reads the settings with Java's rules (Boolean.parseBoolean, Integer.getInteger).</summary>
    public static ClientTlsOptions FromProperties(IReadOnlyDictionary<string, string> p)
    {
        string? Get(string name) => p.GetValueOrDefault(name);
        string? Trimmed(string name) => Get(name) is { } v ? JavaText.Trim(v) : null;
        return new ClientTlsOptions
        {
            KeyStoreLocation = Get(Prefix + "keyStore.location"),
            KeyStorePassword = Get(Prefix + "keyStore.password"),
            KeyStorePasswordPath = Get(Prefix + "keyStore.passwordPath"),
            KeyStoreType = Get(Prefix + "keyStore.type"),
            TrustStoreLocation = Get(Prefix + "trustStore.location"),
            TrustStorePassword = Get(Prefix + "trustStore.password"),
            TrustStorePasswordPath = Get(Prefix + "trustStore.passwordPath"),
            TrustStoreType = Get(Prefix + "trustStore.type"),
            Protocol = Get(Prefix + "protocol") ?? DefaultProtocol,
            EnabledProtocols = Get(Prefix + "enabledProtocols"),
            CipherSuites = Get(Prefix + "ciphersuites"),
            ClientAuth = Get(Prefix + "clientAuth"),
            CrlEnabled = JavaText.ParseBoolean(Trimmed(Prefix + "crl")),
            OcspEnabled = JavaText.ParseBoolean(Trimmed(Prefix + "ocsp")),
            ContextSupplierClass = Get(Prefix + "context.supplier.class"),
            AuthProvider = Get(Prefix + "authProvider"),
            CertReload = JavaText.ParseBoolean(Get("zookeeper.client.certReload")),
            OutstandingHandshakeLimit = JavaText.TryDecodeInt(Get("zookeeper.netty.server.outstandingHandshake.limit"), out int limit) ? limit : -1,
            EarlyDropSecureConnectionHandshakes = JavaText.ParseBoolean(Get("zookeeper.netty.server.earlyDropSecureConnectionHandshakes")),
            X509SuperUser = Get("zookeeper.X509AuthenticationProvider.superUser"),
        };
    }

    /// <summary>
    /// Java reads JKS and BCFKS stores; this server has no reader for them, so naming one (by type or by a
    /// .jks/.bcfks file name) is a configuration error rather than a failure at the first connection.
    /// </summary>
    public void CheckSupportedStoreTypes()
    {
        Check("keyStore", KeyStoreLocation, KeyStoreType);
        Check("trustStore", TrustStoreLocation, TrustStoreType);

        static void Check(string store, string? location, string? type)
        {
            if (string.IsNullOrEmpty(location)) return;
            string? effective = !string.IsNullOrEmpty(type) ? type.ToUpperInvariant()
                : location.EndsWith(".jks", StringComparison.Ordinal) ? "JKS"
                : location.EndsWith(".bcfks", StringComparison.Ordinal) ? "BCFKS"
                : null;
            if (effective is "JKS" or "BCFKS")
            {
                throw new ConfigException(
                    $"{Prefix}{store}: {effective} stores ({location}) are not supported by ZkCompat; use PKCS12 or PEM "
                    + $"(convert with: keytool -importkeystore -srckeystore {location} -destkeystore <file>.p12 -deststoretype PKCS12)",
                    $"ssl.{store}.type");
            }
        }
    }
}
