using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Tests.Data;

[TestFixture]
public class EphemeralTypesTests
{
    [TestCase(0L, false, EphemeralType.Void)]
    [TestCase(0L, true, EphemeralType.Void)]
    [TestCase(0x1000000000000001L, false, EphemeralType.Normal)]
    [TestCase(0x1000000000000001L, true, EphemeralType.Normal)]
    [TestCase(long.MinValue, false, EphemeralType.Container)]
    [TestCase(long.MinValue, true, EphemeralType.Container)]
    // 0xFF0000000000EA60: TTL 60000 ms; only a TTL when extended types are on, a session id otherwise.
    [TestCase(unchecked((long)0xFF0000000000EA60UL), true, EphemeralType.Ttl)]
    [TestCase(unchecked((long)0xFF0000000000EA60UL), false, EphemeralType.Normal)]
    [TestCase(-1L, false, EphemeralType.Normal)]
    public void Get_classifies_owners_like_Java(long owner, bool extended, EphemeralType expected)
    {
        Assert.That(EphemeralTypes.Get(owner, extended), Is.EqualTo(expected));
    }

    [Test]
    public void Get_rejects_an_extended_owner_with_an_unknown_feature()
    {
        long owner = unchecked((long)0xFF00010000000001UL);

        Assert.Throws<ArgumentException>(() => EphemeralTypes.Get(owner, extendedTypesEnabled: true));
        Assert.That(EphemeralTypes.Get(owner, extendedTypesEnabled: false), Is.EqualTo(EphemeralType.Normal));
    }

    [TestCase(1L, 0xFF00000000000001UL)]
    [TestCase(60000L, 0xFF0000000000EA60UL)]
    [TestCase(0xFFFFFFFFFFL, 0xFF0000FFFFFFFFFFUL)]
    public void Ttl_owner_is_top_byte_FF_with_the_ttl_in_the_low_40_bits(long ttl, ulong owner)
    {
        Assert.That(EphemeralTypes.TtlToEphemeralOwner(ttl), Is.EqualTo(unchecked((long)owner)));
        Assert.That(EphemeralTypes.GetTtl(unchecked((long)owner)), Is.EqualTo(ttl));
    }

    [TestCase(0L)]
    [TestCase(-1L)]
    [TestCase(0x10000000000L)]
    public void Ttl_out_of_range_is_refused(long ttl)
    {
        Assert.That(EphemeralTypes.IsValidTtl(ttl), Is.False);
        Assert.Throws<ArgumentOutOfRangeException>(() => EphemeralTypes.TtlToEphemeralOwner(ttl));
    }

    [TestCase(CreateMode.PersistentWithTtl, 1000L, true)]
    [TestCase(CreateMode.PersistentSequentialWithTtl, 1000L, true)]
    [TestCase(CreateMode.PersistentWithTtl, 0L, false)]
    [TestCase(CreateMode.PersistentWithTtl, -1L, false)]
    [TestCase(CreateMode.Persistent, -1L, true)]
    [TestCase(CreateMode.Persistent, 0L, false)]
    [TestCase(CreateMode.Ephemeral, 1000L, false)]
    public void ValidateTtl_follows_Java(CreateMode mode, long ttl, bool valid)
    {
        Assert.That(EphemeralTypes.ValidateTtl(mode, ttl), Is.EqualTo(valid));
    }

    [Test]
    public void Emulating_353_reads_any_other_negative_owner_as_a_ttl()
    {
        long owner = EphemeralTypes.TtlToEphemeralOwner353(5000);

        Assert.That(owner, Is.EqualTo(unchecked((long)0x8000000000001388UL)));
        Assert.That(EphemeralTypes.Get(owner, extendedTypesEnabled: true, emulate353TtlNodes: true), Is.EqualTo(EphemeralType.Ttl));
        Assert.That(EphemeralTypes.Get(owner, extendedTypesEnabled: true), Is.EqualTo(EphemeralType.Normal));
        Assert.That(EphemeralTypes.Get(long.MinValue, extendedTypesEnabled: true, emulate353TtlNodes: true), Is.EqualTo(EphemeralType.Container));
    }

    [TestCase(254L, true, false)]
    [TestCase(255L, true, true)]
    [TestCase(255L, false, false)]
    public void ValidateServerId_limits_ids_only_with_extended_types(long serverId, bool extended, bool throws)
    {
        if (throws)
            Assert.Throws<InvalidOperationException>(() => EphemeralTypes.ValidateServerId(serverId, extended));
        else
            Assert.DoesNotThrow(() => EphemeralTypes.ValidateServerId(serverId, extended));
    }
}
