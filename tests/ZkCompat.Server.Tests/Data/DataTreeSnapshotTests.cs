using System.Buffers;
using NUnit.Framework;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Data;
using static ZkCompat.Server.Tests.Data.TreeTxns;

namespace ZkCompat.Server.Tests.Data;

/// <summary>The tree's part of a snapshot: ACL map, nodes in pre-order from "", end marker "/".</summary>
[TestFixture]
public class DataTreeSnapshotTests
{
    private static DataTree SampleTree()
    {
        var tree = new DataTree(extendedTypesEnabled: true);
        var secret = new List<ACL> { Acl(Perms.All, "digest", "u:h") };
        tree.Create("/app", zxid: 1, data: [1, 2, 3]);
        tree.Create("/app/conf", zxid: 2, data: [4], acl: secret);
        tree.Create("/app/conf/deep", zxid: 3, acl: secret);
        tree.Create("/app/lock", zxid: 4, session: 0x100, ephemeral: true);
        tree.CreateContainer("/app/box", zxid: 5);
        tree.CreateTtl("/app/ttl", zxid: 6, ttl: 5000);
        tree.SetData("/app", [9], zxid: 7, time: 99);
        tree.SetAcl("/app", [Acl(Perms.Read, "world", "anyone")], zxid: 8);
        tree.Delete("/app/conf/deep", zxid: 9);
        return tree;
    }

    private static byte[] Serialize(DataTree tree)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        tree.Serialize(ref writer);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    private static DataTree Load(byte[] bytes, bool extended = true)
    {
        var tree = new DataTree(extended);
        var reader = new JuteReader(bytes);
        tree.Deserialize(ref reader);
        Assert.That(reader.End, Is.True, "the whole input is consumed");
        return tree;
    }

    private static IEnumerable<string> AllPaths(DataTree tree, string path = "/")
    {
        yield return path;
        foreach (var child in tree.GetNode(path)!.Children)
        {
            foreach (var p in AllPaths(tree, path == "/" ? "/" + child : path + "/" + child)) yield return p;
        }
    }

    [Test]
    public void Round_trip_keeps_nodes_stats_acls_and_indexes()
    {
        var original = SampleTree();

        var loaded = Load(Serialize(original));

        Assert.That(AllPaths(loaded), Is.EquivalentTo(AllPaths(original)));
        foreach (var path in AllPaths(original))
        {
            var a = original.GetNode(path)!;
            var b = loaded.GetNode(path)!;
            Assert.That(b.Data, Is.EqualTo(a.Data), path);
            Assert.That(b.CopyStatPersisted(), Is.EqualTo(a.CopyStatPersisted()), path);
            Assert.That(b.AclRef, Is.EqualTo(a.AclRef), path);
            Assert.That(loaded.GetACL(path, new Stat()), Is.EqualTo(original.GetACL(path, new Stat())), path);
            Assert.That(loaded.StatOf(path), Is.EqualTo(original.StatOf(path)), path);
        }
        Assert.Multiple(() =>
        {
            Assert.That(loaded.NodeCount, Is.EqualTo(original.NodeCount));
            Assert.That(loaded.GetNode(""), Is.SameAs(loaded.GetNode("/")));
            Assert.That(loaded.GetEphemerals(0x100), Is.EqualTo(new[] { "/app/lock" }));
            Assert.That(loaded.GetContainers(), Is.EqualTo(new[] { "/app/box" }));
            Assert.That(loaded.GetTtls(), Is.EqualTo(new[] { "/app/ttl" }));
            Assert.That(loaded.Acls.Count, Is.EqualTo(original.Acls.Count));
            Assert.That(loaded.CachedApproximateDataSize, Is.EqualTo(original.CachedApproximateDataSize));
            Assert.That(loaded.Acls.GetReferenceCount(original.GetNode("/app/conf")!.AclRef), Is.EqualTo(1));
        });
    }

    [Test]
    public void Nodes_come_root_first_named_empty_parents_before_children_then_slash()
    {
        var bytes = Serialize(SampleTree());
        var reader = new JuteReader(bytes);
        new AclCache().Deserialize(ref reader);

        var paths = new List<string>();
        string? path;
        while ((path = reader.ReadUString()) != "/")
        {
            paths.Add(path!);
            reader.ReadBuffer();
            reader.ReadLong();
            StatPersisted.Deserialize(ref reader);
        }

        Assert.That(reader.End, Is.True);
        Assert.That(paths[0], Is.EqualTo(""));
        Assert.That(paths, Does.Not.Contain("/"));
        for (int i = 1; i < paths.Count; i++)
        {
            string parent = paths[i][..paths[i].LastIndexOf('/')];
            Assert.That(paths.IndexOf(parent), Is.InRange(0, i - 1), paths[i]);
        }
        Assert.That(paths, Is.EquivalentTo(new[]
        {
            "", "/zookeeper", "/zookeeper/quota", "/zookeeper/config", "/app", "/app/conf", "/app/lock", "/app/box", "/app/ttl",
        }));
        // Java's quick validity test: the file ends in the string "/".
        Assert.That(bytes[^5..], Is.EqualTo(new byte[] { 0, 0, 0, 1, (byte)'/' }));
    }

    [Test]
    public void Loading_drops_acl_entries_no_node_uses()
    {
        var tree = new DataTree();
        var acl = new List<ACL> { Acl(Perms.All, "digest", "x:y") };
        tree.Create("/a", zxid: 1);
        // Counted although the create failed (as Java does), so the entry outlives every node.
        tree.Create("/a", zxid: 2, acl: acl);
        // config's READ list, the open list of /a (a real entry, not -1) and the orphan.
        Assert.That(tree.Acls.Count, Is.EqualTo(3));

        var loaded = Load(Serialize(tree), extended: false);

        Assert.That(loaded.Acls.Count, Is.EqualTo(2));
        Assert.That(() => loaded.Acls.ConvertLong(3), Throws.InvalidOperationException);
        Assert.That(loaded.GetACL("/zookeeper/config", new Stat()), Is.EqualTo(WellKnownAcls.ReadAclUnsafe()));
    }

    [Test]
    public void A_node_before_its_parent_is_rejected()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        writer.WriteInt(0);
        writer.WriteUString("");
        writer.WriteBuffer([]);
        writer.WriteLong(-1);
        new StatPersisted().Serialize(ref writer);
        writer.WriteUString("/a/b");
        writer.WriteBuffer([]);
        writer.WriteLong(-1);
        new StatPersisted().Serialize(ref writer);
        writer.WriteUString("/");
        writer.Flush();

        var tree = new DataTree();
        Assert.Throws<JuteException>(() =>
        {
            var reader = new JuteReader(output.WrittenMemory);
            tree.Deserialize(ref reader);
        });
    }
}
