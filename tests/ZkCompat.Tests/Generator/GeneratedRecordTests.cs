using NUnit.Framework;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;
using ZkCompat.Protocol.Txn;

namespace ZkCompat.Tests.Generator;

/// <summary>Behaviour of the records the generator produced for ZkCompat.Protocol from the real IDL.</summary>
[TestFixture]
public class GeneratedRecordTests
{
    [Test]
    public void Catalog_HoldsEveryRecordOfTheIdl()
    {
        Assert.Multiple(() =>
        {
            Assert.That(JuteCatalog.Records, Has.Count.EqualTo(72));
            Assert.That(JuteCatalog.Records.Select(r => r.FullName), Is.Unique);
            Assert.That(JuteCatalog.Find("org.apache.zookeeper.txn.MultiTxn")?.ClrType, Is.EqualTo(typeof(MultiTxn)));
            Assert.That(JuteCatalog.Find("org.apache.zookeeper.data.Nope"), Is.Null);
        });
    }

    [Test]
    public void Info_DescribesTheIdl()
    {
        var acl = CreateRequest.Info.Fields[2];

        Assert.Multiple(() =>
        {
            Assert.That(Stat.Info.Module, Is.EqualTo("org.apache.zookeeper.data"));
            Assert.That(Stat.Info.FullName, Is.EqualTo("org.apache.zookeeper.data.Stat"));
            Assert.That(Stat.Info.ClrType, Is.EqualTo(typeof(Stat)));
            Assert.That(Stat.Info.Fields, Has.Count.EqualTo(11));
            Assert.That(new Stat().JuteInfo, Is.SameAs(Stat.Info));
            Assert.That(Id.Info.Fields[1], Is.EqualTo(new JuteFieldInfo("id", "IdValue", new JuteTypeInfo(JuteTypeKind.UString))));
            Assert.That(acl.Name, Is.EqualTo("acl"));
            Assert.That(acl.Type.ToString(), Is.EqualTo("vector<org.apache.zookeeper.data.ACL>"));
            Assert.That(acl.Type.Element?.RecordName, Is.EqualTo("org.apache.zookeeper.data.ACL"));
        });
    }

    [Test]
    public void Serialize_WritesFieldsInIdlOrder()
    {
        var acl = new ACL(31, new Id("world", "anyone"));

        byte[] bytes = JuteSerializer.ToArray(acl);

        Assert.That(Convert.ToHexStringLower(bytes),
            Is.EqualTo("0000001f" + "00000005" + "776f726c64" + "00000006" + "616e796f6e65"));
        Assert.That(JuteSerializer.Deserialize<ACL>(bytes), Is.EqualTo(acl));
    }

    [TestCase(0, 0)]
    [TestCase(1, 1)]
    [TestCase(2, 3)]
    public void Vectors_NullAndEmptyAreDistinct(int leftKind, int rightKind)
    {
        static GetChildrenResponse Make(int kind) => new(kind switch { 0 => null, 1 => [], 2 => ["a"], _ => ["b"] });

        var left = Make(leftKind);
        var right = Make(rightKind);
        var roundTripped = JuteSerializer.Deserialize<GetChildrenResponse>(JuteSerializer.ToArray(left));

        Assert.Multiple(() =>
        {
            Assert.That(left == right, Is.EqualTo(leftKind == rightKind));
            Assert.That(roundTripped, Is.EqualTo(left));
            Assert.That(roundTripped.GetHashCode(), Is.EqualTo(left.GetHashCode()));
            Assert.That(Make(0), Is.Not.EqualTo(Make(1)));
        });
    }

    [Test]
    public void Equality_ComparesBuffersAndNestedRecordsByValue()
    {
        var a = new GetDataResponse([1, 2, 3], new Stat { Czxid = 5 });
        var b = new GetDataResponse([1, 2, 3], new Stat { Czxid = 5 });
        var c = new GetDataResponse([1, 2, 4], new Stat { Czxid = 5 });
        var d = new GetDataResponse([1, 2, 3], new Stat { Czxid = 6 });

        Assert.Multiple(() =>
        {
            Assert.That(a, Is.EqualTo(b));
            Assert.That(a == b, Is.True);
            Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
            Assert.That(a, Is.Not.EqualTo(c));
            Assert.That(a != d, Is.True);
            Assert.That(a.Equals(null), Is.False);
            Assert.That(new GetDataResponse(null, new Stat()), Is.Not.EqualTo(new GetDataResponse([], new Stat())));
        });
    }

    [Test]
    public void ToString_IsReadable()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new ACL(31, new Id("world", "anyone")).ToString(),
                Is.EqualTo("ACL { Perms = 31, Id = Id { Scheme = \"world\", IdValue = \"anyone\" } }"));
            Assert.That(new Id(null, "x").ToString(), Is.EqualTo("Id { Scheme = null, IdValue = \"x\" }"));
            Assert.That(new GetChildrenResponse(["a", "b"]).ToString(), Is.EqualTo("GetChildrenResponse { Children = [\"a\", \"b\"] }"));
            Assert.That(new GetChildrenResponse(null).ToString(), Is.EqualTo("GetChildrenResponse { Children = null }"));
            Assert.That(new MultiHeader(1, true, -1).ToString(), Is.EqualTo("MultiHeader { Type = 1, Done = true, Err = -1 }"));
            Assert.That(new Txn(1, [0x0a, 0x0b]).ToString(), Is.EqualTo("Txn { Type = 1, Data = 0x0a0b }"));
            Assert.That(new Stat { Czxid = 1, Mzxid = 2 }.ToString(), Does.StartWith("Stat { Czxid = 1, Mzxid = 2, Ctime = 0,"));
        });
    }

    [Test]
    public void ToString_TruncatesLongBuffers()
    {
        string text = new Txn(1, new byte[100]).ToString();

        Assert.That(text, Is.EqualTo("Txn { Type = 1, Data = 0x" + new string('0', 128) + "\u2026(100 bytes) }"));
    }

    [Test]
    public void NestedRecords_DefaultToEmptyAndNullOnesStillSerialize()
    {
        var response = new SetDataResponse();
        Assert.That(response.Stat, Is.Not.Null);

        response.Stat = null!;
        Assert.That(JuteSerializer.ToArray(response), Has.Length.EqualTo(68));
        Assert.That(response.GetSerializedSize(), Is.EqualTo(68));
    }

    [Test]
    public void Deserialize_RejectsAVectorCountLargerThanTheInput()
    {
        // MultiTxn: vector<Txn>, each Txn at least 8 bytes (int + buffer length).
        byte[] bytes = [0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0];

        Assert.Throws<JuteEndOfStreamException>(() => JuteSerializer.Deserialize<MultiTxn>(bytes));
    }
}
