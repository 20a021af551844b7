using System.Buffers;
using NUnit.Framework;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Data;
using static ZkCompat.Server.Tests.Data.TreeTxns;

namespace ZkCompat.Server.Tests.Data;

[TestFixture]
public class AclCacheTests
{
    private static List<ACL> Digest(string user) => [Acl(Perms.All, "digest", user + ":hash")];

    [Test]
    public void Distinct_lists_get_references_1_2_3_and_equal_lists_share_one()
    {
        var cache = new AclCache();

        long a = cache.ConvertAcls(Digest("a"));
        long b = cache.ConvertAcls(Digest("b"));
        long a2 = cache.ConvertAcls(Digest("a"));
        long open = cache.ConvertAcls(WellKnownAcls.OpenAclUnsafe());

        Assert.That(new[] { a, b, a2, open }, Is.EqualTo(new long[] { 1, 2, 1, 3 }));
        Assert.That(cache.Count, Is.EqualTo(3));
        Assert.That(cache.GetReferenceCount(1), Is.EqualTo(2));
        Assert.That(cache.ConvertLong(2), Is.EqualTo(Digest("b")));
    }

    [Test]
    public void Null_is_the_open_reference_minus_one_and_is_not_counted()
    {
        var cache = new AclCache();

        Assert.That(cache.ConvertAcls(null), Is.EqualTo(AclCache.OpenUnsafeAclId));
        Assert.That(cache.Count, Is.Zero);
        Assert.That(cache.ConvertLong(-1), Is.EqualTo(WellKnownAcls.OpenAclUnsafe()));
    }

    [Test]
    public void The_last_release_drops_the_entry_and_references_are_not_reused()
    {
        var cache = new AclCache();
        long a = cache.ConvertAcls(Digest("a"));
        cache.AddUsage(a);

        cache.RemoveUsage(a);
        Assert.That(cache.Count, Is.EqualTo(1));
        cache.RemoveUsage(a);
        Assert.That(cache.Count, Is.Zero);
        Assert.Throws<InvalidOperationException>(() => cache.ConvertLong(a));

        Assert.That(cache.ConvertAcls(Digest("a")), Is.EqualTo(2));
    }

    [Test]
    public void Unknown_references_are_ignored_by_usage_counting()
    {
        var cache = new AclCache();

        Assert.DoesNotThrow(() => cache.AddUsage(42));
        Assert.DoesNotThrow(() => cache.RemoveUsage(42));
        Assert.That(cache.GetReferenceCount(42), Is.Zero);
    }

    [Test]
    public void Changing_the_callers_list_afterwards_does_not_change_the_cache()
    {
        var cache = new AclCache();
        var acls = Digest("a");
        long a = cache.ConvertAcls(acls);

        acls[0].Perms = (int)Perms.Read;
        acls.Add(Acl(Perms.Read, "world", "anyone"));

        Assert.That(cache.ConvertLong(a), Is.EqualTo(Digest("a")));
    }

    [Test]
    public void Round_trip_through_the_snapshot_form_then_purge_keeps_only_used_entries()
    {
        var cache = new AclCache();
        long a = cache.ConvertAcls(Digest("a"));
        long b = cache.ConvertAcls(Digest("b"));

        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        cache.Serialize(ref writer);
        writer.Flush();

        var loaded = new AclCache();
        var reader = new JuteReader(output.WrittenMemory);
        loaded.Deserialize(ref reader);
        Assert.That(reader.End, Is.True);
        Assert.That(loaded.Entries().Select(e => (e.Key, e.Value.ToList())),
            Is.EquivalentTo(new[] { (a, Digest("a")), (b, Digest("b")) }));

        loaded.AddUsage(b);
        loaded.PurgeUnused();

        Assert.That(loaded.Count, Is.EqualTo(1));
        Assert.That(loaded.ConvertLong(b), Is.EqualTo(Digest("b")));
        // The counter resumes after the highest loaded reference.
        Assert.That(loaded.ConvertAcls(Digest("c")), Is.EqualTo(3));
    }

    [Test]
    public void Snapshot_form_is_count_then_reference_and_acl_vector()
    {
        var cache = new AclCache();
        cache.ConvertAcls([Acl(Perms.Read, "world", "anyone")]);

        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        cache.Serialize(ref writer);
        writer.Flush();

        byte[] expected =
        [
            0, 0, 0, 1,               // one entry
            0, 0, 0, 0, 0, 0, 0, 1,   // reference 1
            0, 0, 0, 1,               // one ACL
            0, 0, 0, 1,               // READ
            0, 0, 0, 5, (byte)'w', (byte)'o', (byte)'r', (byte)'l', (byte)'d',
            0, 0, 0, 6, (byte)'a', (byte)'n', (byte)'y', (byte)'o', (byte)'n', (byte)'e',
        ];
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(expected));
    }
}
