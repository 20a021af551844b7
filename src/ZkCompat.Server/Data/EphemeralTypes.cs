using ZkCompat.Protocol;

namespace ZkCompat.Server.Data;

/// <summary>What a node's stored <c>ephemeralOwner</c> means.</summary>
public enum EphemeralType
{
    /// <summary>Owner 0: a plain persistent node.</summary>
    Void,

    /// <summary>A session id: an ephemeral node.</summary>
    Normal,

    /// <summary><see cref="long.MinValue"/>: a container node.</summary>
    Container,

    /// <summary>Top byte 0xFF, feature bits 0, low 40 bits the TTL in ms (extended types only).</summary>
    Ttl,
}

/// <summary>
/// Encoding and decoding of <c>ephemeralOwner</c> (Java's <c>EphemeralType</c>). Java reads the
/// system properties <c>zookeeper.extendedTypesEnabled</c> and <c>zookeeper.emulate353TTLNodes</c>;
/// here they are parameters.
/// </summary>
public static class EphemeralTypes
{
    public const long ContainerEphemeralOwner = long.MinValue;

    /// <summary>Largest server id allowed with extended types: session ids start with the server id
    /// in the top byte, and 0xFF there would read as an extended type.</summary>
    public const long MaxExtendedServerId = 0xfe;

    /// <summary>Largest TTL in ms (2^40 - 1, about 12,725 days).</summary>
    public const long MaxTtl = ExtendedFeatureValueMask;

    private const long ExtendedMask = unchecked((long)0xff00_0000_0000_0000UL);
    private const long ExtendedBitTtl = 0x0000;
    private const long ReservedBitsMask = 0x00ff_ff00_0000_0000L;
    private const int ReservedBitsShift = 40;
    private const long ExtendedFeatureValueMask = ~(ExtendedMask | ReservedBitsMask);

    // The 3.5.3 layout (ZOOKEEPER-2901): any negative owner but MinValue was a TTL.
    private const long Emulate353MaxTtl = 0x0fff_ffff_ffff_ffffL;
    private const long Emulate353TtlMask = long.MinValue;

    /// <summary>
    /// Classifies an owner. Without extended types only Void, Normal and Container exist; with them an
    /// owner whose top byte is 0xFF is an extended type, and an unknown feature is an error.
    /// </summary>
    /// <exception cref="ArgumentException">An extended owner with an unknown feature.</exception>
    public static EphemeralType Get(long ephemeralOwner, bool extendedTypesEnabled, bool emulate353TtlNodes = false)
    {
        if (extendedTypesEnabled)
        {
            if (emulate353TtlNodes && ephemeralOwner < 0 && ephemeralOwner != ContainerEphemeralOwner)
                return EphemeralType.Ttl;

            if ((ephemeralOwner & ExtendedMask) == ExtendedMask)
            {
                long feature = (ephemeralOwner & ReservedBitsMask) >> ReservedBitsShift;
                if (feature != ExtendedBitTtl)
                    throw new ArgumentException($"Invalid ephemeralOwner. [{ephemeralOwner:x}]", nameof(ephemeralOwner));
                return EphemeralType.Ttl;
            }
        }
        if (ephemeralOwner == ContainerEphemeralOwner) return EphemeralType.Container;
        return ephemeralOwner == 0 ? EphemeralType.Void : EphemeralType.Normal;
    }

    /// <summary>True if <paramref name="ttl"/> is a valid TTL: 1 … <see cref="MaxTtl"/>.</summary>
    public static bool IsValidTtl(long ttl) => ttl is > 0 and <= MaxTtl;

    /// <summary>The owner value stored for a TTL node.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The TTL is not 1 … <see cref="MaxTtl"/>.</exception>
    public static long TtlToEphemeralOwner(long ttl)
    {
        if (!IsValidTtl(ttl))
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "ttl must be positive and cannot be larger than: " + MaxTtl);
        return ExtendedMask | ExtendedBitTtl | ttl;
    }

    /// <summary>The 3.5.3-style owner for a TTL (only for emulation tests and old data).</summary>
    public static long TtlToEphemeralOwner353(long ttl)
    {
        if (ttl <= 0 || ttl > Emulate353MaxTtl)
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "ttl must be positive and cannot be larger than: " + Emulate353MaxTtl);
        return Emulate353TtlMask | ttl;
    }

    /// <summary>
    /// The TTL in ms of a TTL node's owner: its low 40 bits (Java reads them this way even for
    /// 3.5.3-style owners).
    /// </summary>
    public static long GetTtl(long ephemeralOwner) => ephemeralOwner & ExtendedFeatureValueMask;

    /// <summary>
    /// Java's <c>validateTTL</c>: a TTL mode needs a valid TTL; any other mode needs a negative one
    /// (the processor passes -1 when the request had no TTL). Returns false where Java throws
    /// IllegalArgumentException (reported to the client as BADARGUMENTS).
    /// </summary>
    public static bool ValidateTtl(CreateMode mode, long ttl) => mode.IsTtl() ? IsValidTtl(ttl) : ttl < 0;

    /// <summary>Java's <c>validateServerId</c>: with extended types the server id must be at most 254.</summary>
    /// <exception cref="InvalidOperationException">The id is too large for extended types.</exception>
    public static void ValidateServerId(long serverId, bool extendedTypesEnabled)
    {
        if (extendedTypesEnabled && serverId > MaxExtendedServerId)
            throw new InvalidOperationException(
                "extendedTypesEnabled is true but Server ID is too large. Cannot be larger than " + MaxExtendedServerId);
    }

    /// <summary>What clients see as ephemeralOwner: the session for ephemerals, otherwise 0.</summary>
    public static long ClientEphemeralOwner(EphemeralType type, long ephemeralOwner) =>
        type == EphemeralType.Normal ? ephemeralOwner : 0;
}
