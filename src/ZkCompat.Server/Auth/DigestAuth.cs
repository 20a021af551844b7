using System.Security.Cryptography;
using System.Text;

namespace ZkCompat.Server.Auth;

/// <summary>
/// The digest scheme's id: <c>user:BASE64(HASH("user:password"))</c>, hash SHA-1 unless
/// <c>zookeeper.DigestAuthenticationProvider.digestAlg</c> names another (Java's MessageDigest names).
/// </summary>
public static class DigestAuth
{
    public const string DefaultAlgorithm = "SHA1";

    /// <summary>"bob:secret" ⇒ "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=". The user is everything before the first ':'.</summary>
    public static string GenerateDigest(string userColonPassword, string algorithm = DefaultAlgorithm)
    {
        var hash = HashFunction(algorithm) ?? throw new ArgumentException("Unsupported digest algorithm: " + algorithm, nameof(algorithm));
        int colon = userColonPassword.IndexOf(':');
        string user = colon < 0 ? userColonPassword : userColonPassword[..colon];
        return user + ":" + Convert.ToBase64String(hash(Encoding.UTF8.GetBytes(userColonPassword)));
    }

    public static bool IsSupportedAlgorithm(string algorithm) => HashFunction(algorithm) is not null;

    private static Func<byte[], byte[]>? HashFunction(string algorithm) => algorithm.ToUpperInvariant() switch
    {
        "SHA1" or "SHA-1" or "SHA" => SHA1.HashData,
        "SHA-256" => SHA256.HashData,
        "SHA-384" => SHA384.HashData,
        "SHA-512" => SHA512.HashData,
        "MD5" => MD5.HashData,
        "SHA3-256" when SHA3_256.IsSupported => SHA3_256.HashData,
        "SHA3-384" when SHA3_384.IsSupported => SHA3_384.HashData,
        "SHA3-512" when SHA3_512.IsSupported => SHA3_512.HashData,
        _ => null,
    };
}
