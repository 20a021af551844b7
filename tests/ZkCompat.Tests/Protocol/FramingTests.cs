using System.Buffers;
using ZkCompat.Protocol;
using static ZkCompat.Protocol.Framing;

namespace ZkCompat.Tests.Protocol;

public class FramingTests
{
    private const int Max = 0xfffff;

    [Test]
    public void Needs_four_bytes_before_deciding()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0 });
        Assert.That(TryReadFrame(ref buffer, Max, out _, out _), Is.EqualTo(FrameStatus.Incomplete));
        Assert.That(buffer.Length, Is.EqualTo(3));
    }

    [Test]
    public void Waits_for_the_whole_payload_then_takes_exactly_one_frame()
    {
        byte[] bytes = [0, 0, 0, 2, 0xAA, 0xBB, 0, 0, 0, 1, 0xCC];
        var partial = new ReadOnlySequence<byte>(bytes, 0, 5);
        Assert.That(TryReadFrame(ref partial, Max, out _, out _), Is.EqualTo(FrameStatus.Incomplete));

        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.That(TryReadFrame(ref buffer, Max, out var payload, out int length), Is.EqualTo(FrameStatus.Complete));
        Assert.That(length, Is.EqualTo(2));
        Assert.That(payload.ToArray(), Is.EqualTo(new byte[] { 0xAA, 0xBB }));
        Assert.That(TryReadFrame(ref buffer, Max, out payload, out _), Is.EqualTo(FrameStatus.Complete));
        Assert.That(payload.ToArray(), Is.EqualTo(new byte[] { 0xCC }));
        Assert.That(buffer.IsEmpty, Is.True);
    }

    [TestCase(-1)]
    [TestCase(int.MinValue)]
    [TestCase(Max + 1)]
    [TestCase(int.MaxValue)]
    public void Lengths_java_refuses_close_the_connection(int length)
    {
        byte[] bytes = [(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length];
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.That(TryReadFrame(ref buffer, Max, out _, out _), Is.EqualTo(FrameStatus.BadLength));
    }

    [Test]
    public void Max_length_itself_is_accepted()
    {
        var bytes = new byte[4 + Max];
        bytes[1] = 0x0f; bytes[2] = 0xff; bytes[3] = 0xff;
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.That(TryReadFrame(ref buffer, Max, out var payload, out _), Is.EqualTo(FrameStatus.Complete));
        Assert.That(payload.Length, Is.EqualTo(Max));
    }
}
