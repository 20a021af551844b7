namespace ZkCompat.Server.Config;

/// <summary>
/// A configuration the server cannot start with (Java's <c>QuorumPeerConfig.ConfigException</c>).
/// The message follows Java's wording where Java has one and names the offending key.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string message, string? key = null, Exception? inner = null)
        : base(message, inner)
    {
        Key = key;
    }

    /// <summary>The zoo.cfg key or system property at fault, when there is one.</summary>
    public string? Key { get; }
}
