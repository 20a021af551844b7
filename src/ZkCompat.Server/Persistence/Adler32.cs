using System.Buffers;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// Adler-32 as java.util.zip.Adler32 computes it: the txn log's per-record checksum and the
/// snapshot's running seal. A mutable struct: keep it in a field or a local, never a copy.
/// </summary>
public struct Adler32
{
    private const uint Modulus = 65521;

    // Largest n with 255·n·(n+1)/2 + (n+1)·(Modulus−1) < 2^32: how long sums may run unreduced.
    private const int MaxRun = 5552;

    private uint _a;
    private uint _b;
    private bool _started;

    /// <summary>The checksum so far as a non-negative long, like <c>Adler32.getValue()</c> (1 for no bytes).</summary>
    public readonly long Value => _started ? ((long)_b << 16) | _a : 1;

    public void Update(ReadOnlySpan<byte> data)
    {
        if (!_started)
        {
            _a = 1;
            _b = 0;
            _started = true;
        }
        uint a = _a, b = _b;
        while (data.Length > 0)
        {
            int n = Math.Min(data.Length, MaxRun);
            foreach (byte x in data[..n])
            {
                a += x;
                b += a;
            }
            a %= Modulus;
            b %= Modulus;
            data = data[n..];
        }
        _a = a;
        _b = b;
    }

    public void Update(in ReadOnlySequence<byte> data)
    {
        foreach (var segment in data) Update(segment.Span);
    }

    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static long Compute(ReadOnlySpan<byte> data)
    {
        var adler = new Adler32();
        adler.Update(data);
        return adler.Value;
    }
}
