using System.Security.Cryptography.X509Certificates;
using ZkCompat.Server.Network.Tls;

namespace ZkCompat.Server.Tests.Tls;

/// <summary>Java's PKIX trust for client certificates: any trust store entry is an anchor.</summary>
public class ClientCertificateValidatorTests
{
    private static X509Certificate2Collection Anchors(params IssuedCertificate[] certificates) =>
        [.. certificates.Select(c => X509CertificateLoader.LoadCertificate(c.Certificate.RawData))];

    private static X509Certificate2 Public(IssuedCertificate c) => X509CertificateLoader.LoadCertificate(c.Certificate.RawData);

    [Test]
    public void A_chain_to_a_trusted_root_is_trusted()
    {
        using var pki = new TestPki();
        var root = pki.CreateCa("CN=root");
        var intermediate = pki.IssueIntermediate(root, "CN=intermediate");
        var client = pki.IssueClient(intermediate, "CN=client");
        var validator = new ClientCertificateValidator(Anchors(root), checkRevocation: false);

        Assert.That(validator.IsTrusted([Public(client), Public(intermediate)], out string? reason), Is.True, reason);
        Assert.That(validator.IsTrusted([Public(client)], out reason), Is.False, "the intermediate was not sent");
        Assert.That(reason, Is.Not.Empty);
    }

    [Test]
    public void An_intermediate_or_the_client_itself_in_the_trust_store_is_an_anchor()
    {
        using var pki = new TestPki();
        var root = pki.CreateCa("CN=root");
        var intermediate = pki.IssueIntermediate(root, "CN=intermediate");
        var client = pki.IssueClient(intermediate, "CN=client");

        Assert.That(new ClientCertificateValidator(Anchors(intermediate), false).IsTrusted([Public(client)], out string? reason), Is.True, reason);
        Assert.That(new ClientCertificateValidator(Anchors(client), false).IsTrusted([Public(client)], out reason), Is.True, reason);
    }

    [Test]
    public void Another_ca_is_not_trusted_and_a_server_certificate_is_no_client_certificate()
    {
        using var pki = new TestPki();
        var root = pki.CreateCa("CN=root");
        var other = pki.CreateCa("CN=other");
        var stranger = pki.IssueClient(other, "CN=client");
        var server = pki.IssueServer(root);
        var validator = new ClientCertificateValidator(Anchors(root), false);

        Assert.That(validator.IsTrusted([Public(stranger)], out _), Is.False);
        Assert.That(validator.IsTrusted([Public(server)], out string? reason), Is.False, "its extended key usage is serverAuth only");
        Assert.That(reason, Is.Not.Empty);
        Assert.That(validator.IsTrusted([], out _), Is.False);
    }
}
