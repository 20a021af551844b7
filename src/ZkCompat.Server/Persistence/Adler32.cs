using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        if (Vector128.IsHardwareAccelerated && data.Length >= 64) data = data[UpdateVector(ref a, ref b, data)..];
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

    // Snapshots are checksummed whole (hundreds of MB on a restart): 16 bytes a step. For a block
    // x0..x15, a grows by Σx and b by 16·a + Σ(16−i)·xi; lanes keep partial sums of both, and of the
    // a's before each block, reduced modulo once per run. Returns how many bytes it took (the tail, < 16, is the caller's).
    private static int UpdateVector(ref uint a, ref uint b, ReadOnlySpan<byte> data)
    {
        // Blocks per run: the prefix-sum lanes grow quadratically and must stay below 2^32.
        const int BlocksPerRun = 256;
        var weightsLow = Vector128.Create((ushort)16, 15, 14, 13, 12, 11, 10, 9);
        var weightsHigh = Vector128.Create((ushort)8, 7, 6, 5, 4, 3, 2, 1);
        ref byte start = ref MemoryMarshal.GetReference(data);
        int blocks = data.Length / 16;
        int offset = 0;
        while (blocks > 0)
        {
            int run = Math.Min(blocks, BlocksPerRun);
            blocks -= run;
            var sums = Vector128<uint>.Zero;
            var prefix = Vector128<uint>.Zero;
            var weighted = Vector128<uint>.Zero;
            for (int i = 0; i < run; i++, offset += 16)
            {
                var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref Unsafe.Add(ref start, offset)));
                prefix += sums;
                var (s0, s1) = Vector128.Widen(low + high);
                sums += s0 + s1;
                var (w0, w1) = Vector128.Widen(low * weightsLow + high * weightsHigh);
                weighted += w0 + w1;
            }
            ulong blockSum = Vector128.Sum(sums);
            ulong bigB = b + 16UL * (ulong)run * a + 16UL * Vector128.Sum(prefix) + Vector128.Sum(weighted);
            a = (uint)((a + blockSum) % Modulus);
            b = (uint)(bigB % Modulus);
        }
        return offset;
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
