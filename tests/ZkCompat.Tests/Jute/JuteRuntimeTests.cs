using System.Buffers;
using System.Buffers.Binary;
using ZkCompat.Jute;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;
using ZkCompat.Protocol.Quorum;

namespace ZkCompat.Tests.Jute;

public class JuteRuntimeTests
{
    private static byte[] Int(int value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, value);
        return b;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    [Test]
    public void Primitives_are_big_endian()
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        writer.WriteInt(0x01020304);
        writer.WriteLong(0x0102030405060708);
        writer.WriteBool(true);
        writer.WriteByte(0xFE);
        writer.Flush();
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0xFE }));

        var reader = new JuteReader(output.WrittenMemory);
        Assert.That(reader.ReadInt(), Is.EqualTo(0x01020304));
        Assert.That(reader.ReadLong(), Is.EqualTo(0x0102030405060708));
        Assert.That(reader.ReadBool(), Is.True);
        Assert.That(reader.ReadByte(), Is.EqualTo(0xFE));
        Assert.That(reader.End, Is.True);
    }

    [Test]
    public void Any_nonzero_byte_reads_as_true_like_java()
    {
        var reader = new JuteReader(new byte[] { 7, 0 });
        Assert.That(reader.ReadBool(), Is.True);
        Assert.That(reader.ReadBool(), Is.False);
    }

    [Test]
    public void Null_and_empty_buffers_and_strings_are_distinct()
    {
        var nulls = new AuthPacket { Type = 0, Scheme = null, Auth = null };
        var empties = new AuthPacket { Type = 0, Scheme = "", Auth = [] };
        byte[] nullBytes = JuteSerializer.ToArray(nulls);
        byte[] emptyBytes = JuteSerializer.ToArray(empties);
        Assert.That(nullBytes, Is.EqualTo(Concat(Int(0), Int(-1), Int(-1))));
        Assert.That(emptyBytes, Is.EqualTo(Concat(Int(0), Int(0), Int(0))));

        var back = JuteSerializer.Deserialize<AuthPacket>(nullBytes);
        Assert.That(back.Scheme, Is.Null);
        Assert.That(back.Auth, Is.Null);
        var backEmpty = JuteSerializer.Deserialize<AuthPacket>(emptyBytes);
        Assert.That(backEmpty.Scheme, Is.EqualTo(""));
        Assert.That(backEmpty.Auth, Is.Empty);
        Assert.That(back, Is.Not.EqualTo(backEmpty));
    }

    [Test]
    public void Null_and_empty_vectors_are_distinct()
    {
        var nullVector = new GetChildrenResponse { Children = null };
        var emptyVector = new GetChildrenResponse { Children = [] };
        Assert.That(JuteSerializer.ToArray(nullVector), Is.EqualTo(Int(-1)));
        Assert.That(JuteSerializer.ToArray(emptyVector), Is.EqualTo(Int(0)));
        Assert.That(JuteSerializer.Deserialize<GetChildrenResponse>(Int(-1)).Children, Is.Null);
        Assert.That(JuteSerializer.Deserialize<GetChildrenResponse>(Int(0)).Children, Is.Empty);
    }

    [Test]
    public void Vector_elements_may_be_null_strings()
    {
        var record = new GetChildrenResponse { Children = ["a", null, ""] };
        var back = JuteSerializer.Deserialize<GetChildrenResponse>(JuteSerializer.ToArray(record));
        Assert.That(back.Children, Is.EqualTo(new string?[] { "a", null, "" }));
        Assert.That(back, Is.EqualTo(record));
    }

    [Test]
    public void Nested_records_and_vectors_of_records_round_trip()
    {
        var record = new QuorumPacket
        {
            Type = 2,
            Zxid = 0x0000000100000002,
            Data = [1, 2, 3],
            Authinfo = [new Id("ip", "127.0.0.1"), new Id("digest", "bob:x")],
        };
        byte[] bytes = JuteSerializer.ToArray(record);
        Assert.That(bytes, Has.Length.EqualTo(record.GetSerializedSize()));
        Assert.That(JuteSerializer.Deserialize<QuorumPacket>(bytes), Is.EqualTo(record));
    }

    [Test]
    public void Stat_is_68_bytes_and_reply_header_16()
    {
        Assert.That(JuteSerializer.ToArray(new Stat()), Has.Length.EqualTo(68));
        Assert.That(JuteSerializer.ToArray(new ReplyHeader()), Has.Length.EqualTo(16));
        Assert.That(JuteSerializer.ToArray(new StatPersisted()), Has.Length.EqualTo(60));
    }

    [Test]
    public void Every_proper_prefix_of_a_record_is_reported_as_truncated()
    {
        var record = new CreateRequest
        {
            Path = "/a/b",
            Data = [9, 8, 7],
            Acl = [new ACL(31, new Id("world", "anyone"))],
            Flags = 3,
        };
        byte[] bytes = JuteSerializer.ToArray(record);
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            byte[] prefix = bytes[..cut];
            Assert.That(() => JuteSerializer.Deserialize<CreateRequest>(prefix),
                Throws.InstanceOf<JuteEndOfStreamException>(), $"prefix of {cut} bytes");
        }
        Assert.That(JuteSerializer.Deserialize<CreateRequest>(bytes), Is.EqualTo(record));
    }

    [Test]
    public void Trailing_bytes_after_a_record_are_rejected()
    {
        byte[] bytes = Concat(JuteSerializer.ToArray(new ErrorResponse(5)), [0]);
        Assert.That(() => JuteSerializer.Deserialize<ErrorResponse>(bytes), Throws.InstanceOf<JuteException>());
    }

    [TestCase(-2)]
    [TestCase(-100)]
    [TestCase(int.MinValue)]
    public void Negative_lengths_other_than_minus_one_are_rejected(int length)
    {
        // ustring (SyncRequest.path), buffer (GetSASLRequest.token), vector (GetChildrenResponse.children)
        Assert.That(() => JuteSerializer.Deserialize<SyncRequest>(Int(length)),
            Throws.InstanceOf<JuteLengthException>().With.Property(nameof(JuteLengthException.Length)).EqualTo(length));
        Assert.That(() => JuteSerializer.Deserialize<GetSASLRequest>(Int(length)), Throws.InstanceOf<JuteLengthException>());
        Assert.That(() => JuteSerializer.Deserialize<GetChildrenResponse>(Int(length)), Throws.InstanceOf<JuteLengthException>());
    }

    [Test]
    public void Length_over_maxbuffer_plus_extra_is_rejected_before_allocating()
    {
        var limits = JuteLimits.Default;
        int tooLong = (int)(limits.MaxFieldLength + 1);
        // Only the prefix is there: a reader that trusted the length would allocate ~2 MiB first.
        var ex = Assert.Throws<JuteLengthException>(() => JuteSerializer.Deserialize<GetSASLRequest>(Int(tooLong)));
        Assert.That(ex!.Limit, Is.EqualTo(0xfffff + 0xfffff));
        Assert.That(() => JuteSerializer.Deserialize<GetSASLRequest>(Int(int.MaxValue)), Throws.InstanceOf<JuteLengthException>());
    }

    [Test]
    public void Length_exactly_at_the_limit_is_accepted()
    {
        var limits = new JuteLimits(maxBuffer: 2000);
        Assert.That(limits.ExtraMaxBuffer, Is.EqualTo(2000));
        var big = new GetSASLRequest { Token = new byte[4000] };
        big.Token[3999] = 42;
        var back = JuteSerializer.Deserialize<GetSASLRequest>(JuteSerializer.ToArray(big), limits);
        Assert.That(back.Token, Has.Length.EqualTo(4000));
        Assert.That(back.Token![3999], Is.EqualTo(42));
        var tooBig = new GetSASLRequest { Token = new byte[4001] };
        Assert.That(() => JuteSerializer.Deserialize<GetSASLRequest>(JuteSerializer.ToArray(tooBig), limits),
            Throws.InstanceOf<JuteLengthException>());
    }

    [Test]
    public void Default_limits_match_java()
    {
        Assert.That(JuteLimits.Default.MaxBuffer, Is.EqualTo(1048575));
        Assert.That(JuteLimits.Default.ExtraMaxBuffer, Is.EqualTo(1048575));
        // Java never lets the extra allowance fall below 1024.
        Assert.That(new JuteLimits(100, 10).ExtraMaxBuffer, Is.EqualTo(1024));
    }

    [Test]
    public void Maximum_size_buffer_round_trips_at_default_limits()
    {
        var data = new byte[JuteLimits.Default.MaxBuffer];
        new Random(7).NextBytes(data);
        var record = new SetDataRequest("/big", data, -1);
        var back = JuteSerializer.Deserialize<SetDataRequest>(JuteSerializer.ToArray(record));
        Assert.That(back, Is.EqualTo(record));
    }

    [Test]
    public void A_vector_count_larger_than_the_input_fails_fast()
    {
        // 2^30 ACLs announced, 8 bytes present: must not try to allocate a list that size.
        byte[] bytes = Concat(Int(-1), Int(-1), Int(1 << 30), Int(0));
        Assert.That(() => JuteSerializer.Deserialize<CreateRequest>(bytes), Throws.InstanceOf<JuteEndOfStreamException>());
    }

    [Test]
    public void Strings_are_encoded_like_javas_BinaryOutputArchive()
    {
        // A supplementary character is written as two 3-byte surrogate encodings (CESU-8), as Java does.
        Assert.That(JuteStrings.Encode("\U0001F600"), Is.EqualTo(new byte[] { 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80 }));
        Assert.That(JuteStrings.GetByteCount("a\U0001F600b"), Is.EqualTo(8));
        Assert.That(JuteStrings.Encode("é€"), Is.EqualTo(new byte[] { 0xC3, 0xA9, 0xE2, 0x82, 0xAC }));
    }

    [Test]
    public void Writer_spans_many_output_segments()
    {
        // A tiny segment size forces the writer through its chunking paths.
        var output = new SegmentedWriter(16);
        var record = new SetDataRequest(new string('x', 10_000), Enumerable.Range(0, 9000).Select(i => (byte)i).ToArray(), 7);
        JuteSerializer.Write(record, output);
        byte[] bytes = output.ToArray();
        Assert.That(bytes, Is.EqualTo(JuteSerializer.ToArray(record)));
    }

    private sealed class SegmentedWriter(int segment) : IBufferWriter<byte>
    {
        private readonly List<byte> _bytes = [];
        private byte[] _current = [];

        public void Advance(int count) => _bytes.AddRange(_current.AsSpan(0, count).ToArray());

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, segment)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public byte[] ToArray() => [.. _bytes];
    }
}
