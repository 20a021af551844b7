using System.Buffers;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Tests.Quorum;

public class ElectionMessagesTests
{
    // The expected bytes below were produced once at test-writing time by a small Java program run against
    // /usr/share/java/zookeeper-3.8.0.jar: FastLeaderElection.buildMsg (package-private, called through
    // reflection) for notifications, and the DataOutputStream sequence of QuorumCnxManager.startConnection
    // (writeLong(PROTOCOL_VERSION_V1), writeLong(sid), writeInt(len), write(addr)) for the initial message.
    private const string TwoServerConfig =
        "server.1=127.0.0.1:22881:23881:participant\nserver.2=127.0.0.1:22882:23882:participant\nversion=0";

    private const string JavaFollowingNotification =
        "00000001" + "0000000000000002" + "0000000100000005" + "0000000000000007" + "0000000000000001" + "00000002" + "0000005f" +
        "7365727665722e313d3132372e302e302e313a32323838313a32333838313a7061727469636970616e740a" +
        "7365727665722e323d3132372e302e302e313a32323838323a32333838323a7061727469636970616e740a" +
        "76657273696f6e3d30";

    private const string JavaObservingNotificationNoConfig =
        "00000003" + "8000000000000000" + "8000000000000000" + "0000000000001234" + "8000000000000000" + "00000002" + "00000000";

    // buildMsg's 5-argument overload: the 40-byte form (it writes version 1, which receivers never read).
    private const string JavaLegacy40 =
        "00000000" + "0000000000000005" + "0000000300000002" + "0000000000000002" + "0000000000000003" + "00000001";

    private const string JavaInitialMessage =
        "ffffffffffff0000" + "0000000000000003" + "0000000f" + "3132372e302e302e313a3233383833";

    [Test]
    public void Notification_encodes_byte_for_byte_like_java_3_8()
    {
        var n = new Notification(ServerState.Following, 2, 0x100000005, 7, 1, 2, TwoServerConfig);

        byte[] bytes = ElectionMessages.EncodeNotification(n);

        Assert.That(bytes, Has.Length.EqualTo(139), "the 2-server frame observed from Java is 139 bytes");
        Assert.That(Convert.ToHexStringLower(bytes), Is.EqualTo(JavaFollowingNotification));
    }

    [Test]
    public void Observer_vote_with_min_values_and_no_config_encodes_like_java()
    {
        var n = new Notification(ServerState.Observing, long.MinValue, long.MinValue, 0x1234, long.MinValue, 2, null);

        Assert.That(Convert.ToHexStringLower(ElectionMessages.EncodeNotification(n)), Is.EqualTo(JavaObservingNotificationNoConfig));
    }

    [Test]
    public void Java_3_8_notification_decodes_with_its_config_text()
    {
        var n = ElectionMessages.DecodeNotification(Convert.FromHexString(JavaFollowingNotification));

        Assert.That(n, Is.EqualTo(new Notification(ServerState.Following, 2, 0x100000005, 7, 1, 2, TwoServerConfig)));
    }

    [Test]
    public void Our_config_text_for_two_servers_is_what_java_sends()
    {
        Assert.That(Ensembles.Of(2).ToString(), Is.EqualTo(TwoServerConfig));
    }

    [Test]
    public void Legacy_40_byte_form_decodes_with_version_0_and_no_config()
    {
        var n = ElectionMessages.DecodeNotification(Convert.FromHexString(JavaLegacy40));

        Assert.That(n, Is.EqualTo(new Notification(ServerState.Looking, 5, 0x300000002, 2, 3, 0, null)));
    }

    [Test]
    public void Legacy_28_byte_form_takes_peer_epoch_from_the_zxid()
    {
        byte[] bytes = Convert.FromHexString(JavaLegacy40)[..28];

        var n = ElectionMessages.DecodeNotification(bytes);

        Assert.That(n, Is.EqualTo(new Notification(ServerState.Looking, 5, 0x300000002, 2, 3, 0, null)));
    }

    [Test]
    public void Legacy_28_byte_form_with_a_negative_zxid_keeps_the_sign_of_the_epoch()
    {
        byte[] bytes = Convert.FromHexString("00000000" + "0000000000000001" + "ffffffffffffffff" + "0000000000000001");

        Assert.That(ElectionMessages.DecodeNotification(bytes).PeerEpoch, Is.EqualTo(-1));
    }

    [Test]
    public void Exactly_40_bytes_is_the_legacy_form_even_with_version_2_in_it()
    {
        byte[] bytes = Convert.FromHexString(JavaLegacy40[..72] + "00000002");

        Assert.That(ElectionMessages.DecodeNotification(bytes).Version, Is.EqualTo(0));
    }

    [Test]
    public void Version_1_longer_than_40_bytes_has_no_config_and_trailing_bytes_are_ignored()
    {
        byte[] bytes = Convert.FromHexString(JavaLegacy40 + "deadbeef");

        var n = ElectionMessages.DecodeNotification(bytes);

        Assert.That((n.Version, n.ConfigText, n.PeerEpoch), Is.EqualTo((1, (string?)null, 3L)));
    }

    private static IEnumerable<TestCaseData> Garbage()
    {
        string header40 = JavaLegacy40[..72]; // state … peerEpoch, no version
        yield return new TestCaseData("", ElectionMessageError.TooShort).SetName("empty");
        yield return new TestCaseData(JavaLegacy40[..54], ElectionMessageError.TooShort).SetName("27 bytes");
        yield return new TestCaseData(JavaLegacy40[..70], ElectionMessageError.Malformed).SetName("35 bytes: peerEpoch cut");
        yield return new TestCaseData(JavaLegacy40[..78], ElectionMessageError.Malformed).SetName("39 bytes: version cut");
        // exactly 40 bytes would be the legacy form, whatever the version word says
        yield return new TestCaseData(header40 + "00000002" + "0000", ElectionMessageError.Malformed).SetName("version 2 with config length cut");
        yield return new TestCaseData(header40 + "00000002" + "ffffffff", ElectionMessageError.Malformed).SetName("negative config length");
        yield return new TestCaseData(header40 + "00000002" + "00000031", ElectionMessageError.Malformed).SetName("config length over message size");
        yield return new TestCaseData(header40 + "00000002" + "00000004" + "6161", ElectionMessageError.Malformed).SetName("config cut short");
        yield return new TestCaseData("00000004" + JavaLegacy40[8..], ElectionMessageError.UnknownState).SetName("state 4");
        yield return new TestCaseData("ffffffff" + JavaLegacy40[8..], ElectionMessageError.UnknownState).SetName("state -1");
    }

    [TestCaseSource(nameof(Garbage))]
    public void Garbage_notifications_are_rejected_with_a_typed_error(string hex, ElectionMessageError expected)
    {
        var ex = Assert.Throws<ElectionMessageException>(() => ElectionMessages.DecodeNotification(Convert.FromHexString(hex)));
        Assert.That(ex!.Error, Is.EqualTo(expected));
    }

    [Test]
    public void Initial_message_encodes_like_java_startConnection()
    {
        byte[] bytes = ElectionMessages.EncodeInitialMessage(3, ["127.0.0.1:23883"]);

        Assert.That(Convert.ToHexStringLower(bytes), Is.EqualTo(JavaInitialMessage));
    }

    [Test]
    public void Initial_message_decodes_and_reports_what_it_consumed()
    {
        byte[] bytes = Convert.FromHexString(JavaInitialMessage + "0000002c");

        Assert.That(ElectionMessages.TryDecodeInitialMessage(bytes, out var message, out int consumed), Is.True);
        Assert.That(message, Is.Not.Null);
        Assert.That((message!.ProtocolVersion, message.Sid, consumed), Is.EqualTo((ElectionMessages.ProtocolVersionV1, 3L, 35)));
        Assert.That(message.ElectionAddresses, Is.EqualTo(new[] { "127.0.0.1:23883" }));
    }

    [Test]
    public void Initial_message_v2_carries_several_addresses()
    {
        byte[] bytes = ElectionMessages.EncodeInitialMessage(7, ["10.0.0.1:3888", "[::1]:3888"], ElectionMessages.ProtocolVersionV2);

        Assert.That(ElectionMessages.TryDecodeInitialMessage(bytes, out var message, out _), Is.True);
        Assert.That(message!.ProtocolVersion, Is.EqualTo(ElectionMessages.ProtocolVersionV2));
        Assert.That(message.ElectionAddresses, Is.EqualTo(new[] { "10.0.0.1:3888", "[::1]:3888" }));
    }

    [Test]
    public void Pre_3_5_peer_sends_only_its_sid()
    {
        byte[] bytes = Convert.FromHexString("0000000000000009");

        Assert.That(ElectionMessages.TryDecodeInitialMessage(bytes, out var message, out int consumed), Is.True);
        Assert.That((message!.ProtocolVersion, message.Sid, consumed, message.ElectionAddresses.Count), Is.EqualTo((0L, 9L, 8, 0)));
    }

    [Test]
    public void Every_prefix_of_an_initial_message_asks_for_more_bytes()
    {
        byte[] bytes = Convert.FromHexString(JavaInitialMessage);
        for (int length = 0; length < bytes.Length; length++)
            Assert.That(ElectionMessages.TryDecodeInitialMessage(bytes.AsSpan(0, length), out _, out _), Is.False, $"prefix of {length} bytes");
    }

    private static IEnumerable<TestCaseData> BadInitialMessages()
    {
        const string sid = "0000000000000003";
        static string Addr(string text) => Convert.ToHexStringLower(BitConverter.GetBytes(System.Net.IPAddress.HostToNetworkOrder(text.Length))) + Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(text));
        yield return new TestCaseData("fffffffffffeffff" + sid + Addr("a:1"), ElectionMessageError.UnknownProtocolVersion).SetName("version -65537");
        yield return new TestCaseData("ffffffffffff0000" + sid + "00000000", ElectionMessageError.BadAddressLength).SetName("address length 0");
        yield return new TestCaseData("ffffffffffff0000" + sid + "00000801", ElectionMessageError.BadAddressLength).SetName("address length 2049");
        yield return new TestCaseData("ffffffffffff0000" + sid + "ffffffff", ElectionMessageError.BadAddressLength).SetName("address length -1");
        yield return new TestCaseData("ffffffffffff0000" + sid + Addr("nohost"), ElectionMessageError.BadAddress).SetName("no port");
        yield return new TestCaseData("ffffffffffff0000" + sid + Addr("host:"), ElectionMessageError.BadAddress).SetName("empty port");
        yield return new TestCaseData("ffffffffffff0000" + sid + Addr("a:b:1"), ElectionMessageError.BadAddress).SetName("three parts");
        yield return new TestCaseData("ffffffffffff0000" + sid + Addr("host:x1"), ElectionMessageError.BadAddress).SetName("port not a number");
        yield return new TestCaseData("ffffffffffff0000" + sid + Addr("host:70000"), ElectionMessageError.BadAddress).SetName("port over 65535");
        yield return new TestCaseData("ffffffffffff0001" + sid + Addr("a:1|[::1"), ElectionMessageError.BadAddress).SetName("unclosed bracket");
    }

    [TestCaseSource(nameof(BadInitialMessages))]
    public void Garbage_initial_messages_are_rejected_with_a_typed_error(string hex, ElectionMessageError expected)
    {
        byte[] bytes = Convert.FromHexString(hex);
        var ex = Assert.Throws<ElectionMessageException>(() => ElectionMessages.TryDecodeInitialMessage(bytes, out _, out _));
        Assert.That(ex!.Error, Is.EqualTo(expected));
    }

    [TestCase(0, ElectionMessageError.BadFrameLength)]
    [TestCase(-1, ElectionMessageError.BadFrameLength)]
    [TestCase(512 * 1024 + 1, ElectionMessageError.BadFrameLength)]
    public void Frame_length_outside_java_limits_is_rejected_before_buffering(int length, ElectionMessageError expected)
    {
        var bytes = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes, length);
        var buffer = new ReadOnlySequence<byte>(bytes);

        var ex = Assert.Throws<ElectionMessageException>(() => ElectionMessages.TryReadFrame(ref buffer, out _));
        Assert.That(ex!.Error, Is.EqualTo(expected));
    }

    [Test]
    public void Frames_round_trip_and_wait_for_the_whole_payload()
    {
        byte[] payload = Convert.FromHexString(JavaFollowingNotification);
        byte[] two = [.. ElectionMessages.EncodeFrame(payload), .. ElectionMessages.EncodeFrame(payload)];

        var partial = new ReadOnlySequence<byte>(two, 0, 100);
        Assert.That(ElectionMessages.TryReadFrame(ref partial, out _), Is.False);

        var buffer = new ReadOnlySequence<byte>(two);
        Assert.That(ElectionMessages.TryReadFrame(ref buffer, out var first), Is.True);
        Assert.That(ElectionMessages.TryReadFrame(ref buffer, out var second), Is.True);
        Assert.That((first.ToArray(), second.ToArray(), buffer.Length), Is.EqualTo((payload, payload, 0L)));
    }
}
