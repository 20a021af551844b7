using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

/// <summary>The 16-bytes-a-step Adler-32 against the byte-at-a-time definition.</summary>
public sealed class Adler32VectorTests
{
    private static long ByteAtATime(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        foreach (byte x in data)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }
        return ((long)b << 16) | a;
    }

    // All 0xFF is the largest sum every lane can reach: no lane may overflow between reductions.
    [TestCase(0xFF, 1_000_000)]
    [TestCase(0x00, 5000)]
    [TestCase(0x80, 65_537)]
    public void UniformInputMatches(int value, int length)
    {
        var data = new byte[length];
        Array.Fill(data, (byte)value);
        Assert.That(Adler32.Compute(data), Is.EqualTo(ByteAtATime(data)));
    }

    [Test]
    public void AnyLengthAndAnySplitMatches()
    {
        var random = new Random(11);
        for (int round = 0; round < 500; round++)
        {
            var data = new byte[random.Next(0, 9000)];
            random.NextBytes(data);
            long expected = ByteAtATime(data);
            Assert.That(Adler32.Compute(data), Is.EqualTo(expected), $"length {data.Length}");

            var split = new Adler32();
            int cut = random.Next(0, data.Length + 1);
            split.Update(data.AsSpan(0, cut));
            split.Update(data.AsSpan(cut));
            Assert.That(split.Value, Is.EqualTo(expected), $"length {data.Length} cut at {cut}");
        }
    }
}
