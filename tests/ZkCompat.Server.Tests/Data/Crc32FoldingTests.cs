using ZkCompat.Server.Data;

namespace ZkCompat.Server.Tests.Data;

/// <summary>The folding (carry-less multiply) CRC-32 against the bit-at-a-time definition of java.util.zip.CRC32.</summary>
public sealed class Crc32FoldingTests
{
    private static uint BitAtATime(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc;
    }

    [Test]
    public void CheckValue() => Assert.That(Crc32.Compute("123456789"u8), Is.EqualTo(0xCBF43926L));

    [Test]
    public void AnyLengthAndStartingStateMatches()
    {
        var random = new Random(3);
        for (int round = 0; round < 3000; round++)
        {
            var data = new byte[random.Next(0, 700)];
            random.NextBytes(data);
            if (round % 5 == 0) Array.Fill(data, (byte)0xFF);
            uint start = round % 2 == 0 ? Crc32.Initial : (uint)random.Next();
            Assert.That(Crc32.Update(start, data), Is.EqualTo(BitAtATime(start, data)), $"length {data.Length}");
        }
    }
}
