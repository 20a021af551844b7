using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ZkCompat.Server.Network.Tls;

/// <summary>
/// Java's PKIX trust manager for client certificates: every certificate of the trust store is a trust
/// anchor (the system roots when no trust store is configured), the chain must reach one, be in its
/// validity period and allow client authentication; revocation is checked only with <c>ssl.crl</c> or
/// <c>ssl.ocsp</c>. Intermediates come from what the client sent; nothing is downloaded.
/// </summary>
public sealed class ClientCertificateValidator
{
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");
    private readonly X509Certificate2Collection? _anchors;
    private readonly HashSet<string> _anchorThumbprints;
    private readonly bool _checkRevocation;

    /// <param name="anchors">The trust store's certificates; null to trust the system roots.</param>
    public ClientCertificateValidator(X509Certificate2Collection? anchors, bool checkRevocation)
    {
        _anchors = anchors;
        _checkRevocation = checkRevocation;
        _anchorThumbprints = anchors is null ? [] : anchors.Select(a => a.Thumbprint).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A chain policy for SslStream's own check, built the same way (one per handshake: SslStream adds to it).</summary>
    public X509ChainPolicy CreatePolicy()
    {
        var policy = new X509ChainPolicy
        {
            RevocationMode = _checkRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
            RevocationFlag = X509RevocationFlag.ExcludeRoot,
            DisableCertificateDownloads = true,
        };
        policy.ApplicationPolicy.Add(ClientAuthentication);
        if (_anchors is not null)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(_anchors);
        }
        return policy;
    }

    /// <summary>Whether a client that sent <paramref name="chain"/> (leaf first) is trusted; if not, why.</summary>
    public bool IsTrusted(IReadOnlyList<X509Certificate2> chain, out string? reason)
    {
        reason = null;
        if (chain.Count == 0)
        {
            reason = "no client certificate";
            return false;
        }
        // A trust store entry is an anchor even when it is the client's own certificate.
        if (_anchorThumbprints.Contains(chain[0].Thumbprint)) return true;
        using var x509Chain = new X509Chain { ChainPolicy = CreatePolicy() };
        for (int i = 1; i < chain.Count; i++) x509Chain.ChainPolicy.ExtraStore.Add(chain[i]);
        try
        {
            if (x509Chain.Build(chain[0])) return true;
            if (_anchors is not null && EndsAtIntermediateAnchor(x509Chain)) return true;
            reason = string.Join("; ", x509Chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            if (reason.Length == 0) reason = "untrusted certificate chain";
            return false;
        }
        finally
        {
            foreach (var element in x509Chain.ChainElements) element.Certificate.Dispose();
        }
    }

    /// <summary>
    /// Java anchors at any trust store certificate, not only at self-signed roots: accept a chain whose only
    /// faults are that it stops short of a root, provided one of its certificates is in the trust store.
    /// </summary>
    public bool EndsAtIntermediateAnchor(X509Chain chain)
    {
        if (_anchors is null) return false;
        if (chain.ChainStatus.Any(s => s.Status is not (X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.UntrustedRoot))) return false;
        bool anchored = false;
        foreach (var element in chain.ChainElements)
        {
            if (_anchorThumbprints.Contains(element.Certificate.Thumbprint)) anchored = true;
            foreach (var status in element.ChainElementStatus)
            {
                if (status.Status is not (X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.UntrustedRoot or X509ChainStatusFlags.NoError))
                    return false;
            }
        }
        return anchored;
    }
}
