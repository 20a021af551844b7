using System.Buffers;
using ZkCompat.Jute;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Tests.Quorum.Zab;

public class QuorumPacketsTests
{
    // Produced once at test-writing time by a small Java program against /usr/share/java/zookeeper-3.8.0.jar:
    // BinaryOutputArchive.writeRecord(new QuorumPacket(...)) with the payloads built as Learner/LearnerHandler build them.
    // FOLLOWERINFO from sid 3, acceptedEpoch 5, LearnerInfo{3, 0x10000, configVersion 0x100000000}.
    private const string JavaFollowerInfo = "0000000b0000000500000000000000140000000000000003000100000000000100000000ffffffff";
    // LEADERINFO for epoch 6.
    private const string JavaLeaderInfo = "0000001100000006000000000000000400010000ffffffff";
    // ACKEPOCH with lastLoggedZxid 0x500000007 and -1 (already accepted).
    private const string JavaAckEpoch = "00000012000000050000000700000004ffffffffffffffff";
    // REQUEST: session 0x1000abcd, cxid 7, type 1 (create), body "00000002 2f61", authinfo [ip:127.0.0.1].
    private const string JavaRequest =
        "00000001ffffffffffffffff00000016000000001000abcd0000000700000001000000022f6100000001000000026970000000093132372e302e302e31";
    private const string JavaUpToDate = "0000000cffffffffffffffffffffffffffffffff";

    private static IEnumerable<TestCaseData> JavaPackets()
    {
        yield return new TestCaseData(JavaFollowerInfo, QuorumPackets.LearnerInfoPacket(false, 3, 5, 0x100000000)).SetName("FOLLOWERINFO");
        yield return new TestCaseData(JavaLeaderInfo, QuorumPackets.LeaderInfo(6)).SetName("LEADERINFO");
        yield return new TestCaseData(JavaAckEpoch, QuorumPackets.AckEpoch(0x500000007, -1)).SetName("ACKEPOCH");
        yield return new TestCaseData(JavaRequest, QuorumPackets.Request(0x1000abcd, 7, 1, [0, 0, 0, 2, 0x2f, 0x61], [new Id("ip", "127.0.0.1")])).SetName("REQUEST");
        yield return new TestCaseData(JavaUpToDate, QuorumPackets.UpToDate()).SetName("UPTODATE");
    }

    [TestCaseSource(nameof(JavaPackets))]
    public void Packets_are_byte_for_byte_what_java_writes_and_read_back(string javaHex, QuorumPacket ours)
    {
        Assert.That(Convert.ToHexStringLower(QuorumPackets.Write(ours)), Is.EqualTo(javaHex));

        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(javaHex));
        Assert.That(QuorumPackets.TryRead(ref buffer, out var read), Is.True);
        Assert.That(read, Is.EqualTo(ours));
        Assert.That(buffer.Length, Is.Zero);
    }

    [Test]
    public void Back_to_back_packets_split_anywhere_are_read_one_at_a_time()
    {
        byte[] stream = Convert.FromHexString(JavaFollowerInfo + JavaRequest + JavaUpToDate);
        for (int split = 0; split <= stream.Length; split++)
        {
            var buffer = TwoSegments(stream, split);
            var types = new List<int>();
            while (QuorumPackets.TryRead(ref buffer, out var packet)) types.Add(packet!.Type);
            Assert.That(types, Is.EqualTo(new[] { 11, 1, 12 }), $"split at {split}");
            Assert.That(buffer.Length, Is.Zero);
        }
    }

    [Test]
    public void Every_prefix_of_a_packet_asks_for_more_bytes_and_consumes_nothing()
    {
        byte[] bytes = Convert.FromHexString(JavaRequest);
        for (int length = 0; length < bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.That(QuorumPackets.TryRead(ref buffer, out var packet), Is.False, $"prefix {length}");
            Assert.That(packet, Is.Null);
            Assert.That(buffer.Length, Is.EqualTo(length));
        }
    }

    // type, zxid, then the hostile length; nothing after it, so each must be rejected before waiting for bytes.
    [TestCase("fffffffe", QuorumPacketError.BadBufferLength, TestName = "data length -2")]
    [TestCase("001fffff", QuorumPacketError.BadBufferLength, TestName = "data length one over maxbuffer+extrasize")]
    [TestCase("ffffffff" + "fffffffe", QuorumPacketError.BadVectorLength, TestName = "authinfo count -2")]
    [TestCase("ffffffff" + "7fffffff", QuorumPacketError.BadVectorLength, TestName = "authinfo count too large to fit")]
    [TestCase("ffffffff" + "00000001" + "fffffffe", QuorumPacketError.BadStringLength, TestName = "Id scheme length -2")]
    [TestCase("ffffffff" + "00000001" + "00000000" + "7fffffff", QuorumPacketError.BadStringLength, TestName = "Id value length too large")]
    public void Hostile_lengths_are_rejected_as_soon_as_they_arrive(string afterHeader, QuorumPacketError expected)
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString("00000005" + "0000000000000000" + afterHeader));

        var e = Assert.Throws<QuorumPacketException>(() => QuorumPackets.TryRead(ref buffer, out _));
        Assert.That(e!.Error, Is.EqualTo(expected));
    }

    [Test]
    public void A_smaller_jute_limit_is_honoured()
    {
        var packet = QuorumPackets.Create(QuorumPacketType.Proposal, 1, new byte[2000]);
        var buffer = new ReadOnlySequence<byte>(QuorumPackets.Write(packet));

        Assert.Throws<QuorumPacketException>(() => QuorumPackets.TryRead(ref buffer, out _, new JuteLimits(maxBuffer: 100)));
    }

    private static IEnumerable<TestCaseData> LearnerInfoPayloads()
    {
        byte[] full = Convert.FromHexString("0000000000000003" + "00010000" + "0000000100000000");
        yield return new TestCaseData(null, new LearnerInfoFields(null, 1, null)).SetName("no data: nothing, pre-1.0");
        yield return new TestCaseData(full[..7], new LearnerInfoFields(null, 1, null)).SetName("7 bytes: no sid");
        yield return new TestCaseData(full[..8], new LearnerInfoFields(3, 1, null)).SetName("8 bytes: sid only");
        yield return new TestCaseData(full[..12], new LearnerInfoFields(3, 0x10000, null)).SetName("12 bytes: sid and version");
        yield return new TestCaseData(full[..19], new LearnerInfoFields(3, 0x10000, null)).SetName("19 bytes: config version cut off");
        yield return new TestCaseData(full, new LearnerInfoFields(3, 0x10000, 0x100000000)).SetName("20 bytes: everything");
    }

    [TestCaseSource(nameof(LearnerInfoPayloads))]
    public void LearnerInfo_is_read_positionally_like_LearnerHandler(byte[]? data, LearnerInfoFields expected) =>
        Assert.That(QuorumPackets.ParseLearnerInfo(data), Is.EqualTo(expected));

    private static IEnumerable<TestCaseData> ShortPayloads()
    {
        yield return new TestCaseData(new TestDelegate(() => QuorumPackets.ParseLeaderInfo(null))).SetName("LEADERINFO without data");
        yield return new TestCaseData(new TestDelegate(() => QuorumPackets.ParseLeaderInfo([0, 1, 0]))).SetName("LEADERINFO of 3 bytes");
        yield return new TestCaseData(new TestDelegate(() => QuorumPackets.ParseAckEpoch([0xff, 0xff]))).SetName("ACKEPOCH of 2 bytes");
        yield return new TestCaseData(new TestDelegate(() => QuorumPackets.ParseRevalidateRequest(new byte[11]))).SetName("REVALIDATE request of 11 bytes");
        yield return new TestCaseData(new TestDelegate(() => QuorumPackets.ParseRevalidateReply(new byte[8]))).SetName("REVALIDATE reply of 8 bytes");
        yield return new TestCaseData(new TestDelegate(() => QuorumPackets.ParseRequest(QuorumPackets.Create(QuorumPacketType.Request, -1, new byte[15])))).SetName("REQUEST of 15 bytes");
        yield return new TestCaseData(new TestDelegate(() => QuorumPackets.ParseSessionTouches(new byte[13]))).SetName("PING with a partial entry");
    }

    [TestCaseSource(nameof(ShortPayloads))]
    public void Short_or_missing_payloads_are_a_typed_error(TestDelegate parse)
    {
        var e = Assert.Throws<QuorumPacketException>(parse);
        Assert.That(e!.Error, Is.EqualTo(QuorumPacketError.Malformed));
    }

    [Test]
    public void Payload_ints_ignore_trailing_bytes_like_ByteBuffer_getInt()
    {
        Assert.That(QuorumPackets.ParseLeaderInfo([0, 1, 0, 0, 9, 9]), Is.EqualTo(0x10000));
        Assert.That(QuorumPackets.ParseAckEpoch(QuorumPackets.AckEpoch(1, 4).Data), Is.EqualTo(4));
    }

    [Test]
    public void Ping_session_touches_round_trip_and_the_leaders_empty_ping_has_none()
    {
        SessionTouch[] touches = [new(0x1000abcd, 30000), new(-5, 4000)];
        byte[] data = QuorumPackets.EncodeSessionTouches(touches);

        Assert.That(Convert.ToHexStringLower(data), Is.EqualTo("000000001000abcd" + "00007530" + "fffffffffffffffb" + "00000fa0"));
        Assert.That(QuorumPackets.ParseSessionTouches(data), Is.EqualTo(touches));
        Assert.That(QuorumPackets.ParseSessionTouches(null), Is.Empty);
    }

    [Test]
    public void Revalidate_goes_both_ways()
    {
        var request = QuorumPackets.RevalidateRequest(0x42, 5000);
        Assert.That((request.Type, request.Zxid, Convert.ToHexStringLower(request.Data!)), Is.EqualTo((6, -1L, "0000000000000042" + "00001388")));
        Assert.That(QuorumPackets.ParseRevalidateRequest(request.Data), Is.EqualTo(new SessionTouch(0x42, 5000)));

        var reply = QuorumPackets.RevalidateReply(request.Zxid, 0x42, valid: true);
        Assert.That(Convert.ToHexStringLower(reply.Data!), Is.EqualTo("0000000000000042" + "01"));
        Assert.That(QuorumPackets.ParseRevalidateReply(reply.Data), Is.EqualTo((0x42L, true)));
        // DataInputStream.readBoolean: any non-zero byte is true.
        Assert.That(QuorumPackets.ParseRevalidateReply(Convert.FromHexString("000000000000004202")).Valid, Is.True);
        Assert.That(QuorumPackets.ParseRevalidateReply(Convert.FromHexString("000000000000004200")).Valid, Is.False);
    }

    [Test]
    public void Request_splits_header_fields_from_the_body_and_keeps_authinfo()
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(JavaRequest));
        QuorumPackets.TryRead(ref buffer, out var packet);

        var request = QuorumPackets.ParseRequest(packet!);

        Assert.That((request.SessionId, request.Cxid, request.Type), Is.EqualTo((0x1000abcdL, 7, 1)));
        Assert.That(request.Body, Is.EqualTo(new byte[] { 0, 0, 0, 2, 0x2f, 0x61 }));
        Assert.That(request.AuthInfo, Is.EqualTo(new[] { new Id("ip", "127.0.0.1") }));
    }

    private static ReadOnlySequence<byte> TwoSegments(byte[] bytes, int split)
    {
        var first = new Segment(bytes.AsMemory(0, split));
        var last = first.Append(bytes.AsMemory(split));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
