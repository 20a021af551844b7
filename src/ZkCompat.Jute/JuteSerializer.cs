using System.Buffers;

namespace ZkCompat.Jute;

/// <summary>Convenience entry points for whole records.</summary>
public static class JuteSerializer
{
    public static byte[] ToArray(IJuteWritable record)
    {
        var bytes = new byte[record.GetSerializedSize()];
        var output = new FixedBufferWriter(bytes);
        var writer = new JuteWriter(output);
        record.Serialize(ref writer);
        writer.Flush();
        if (output.Written != bytes.Length)
            throw new InvalidOperationException($"{record.GetType().Name}: size {bytes.Length} but wrote {output.Written}");
        return bytes;
    }

    public static void Write(IJuteWritable record, IBufferWriter<byte> output)
    {
        var writer = new JuteWriter(output);
        record.Serialize(ref writer);
        writer.Flush();
    }

    /// <summary>Decodes one record that must fill <paramref name="data"/> exactly.</summary>
    public static T Deserialize<T>(ReadOnlyMemory<byte> data, JuteLimits? limits = null) where T : IJuteRecord<T>
    {
        var reader = new JuteReader(data, limits ?? JuteLimits.Default);
        T record = T.Deserialize(ref reader);
        reader.EnsureEnd(T.Info.Name);
        return record;
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over one pre-sized array.</summary>
    private sealed class FixedBufferWriter(byte[] buffer) : IBufferWriter<byte>
    {
        public int Written { get; private set; }

        public void Advance(int count) => Written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => Checked(sizeHint).AsMemory(Written);

        public Span<byte> GetSpan(int sizeHint = 0) => Checked(sizeHint).AsSpan(Written);

        private byte[] Checked(int sizeHint)
        {
            // JuteWriter asks for at least 256 bytes at a time; near the end give what is left,
            // which the exact size computed beforehand guarantees is enough.
            if (buffer.Length - Written <= 0 && sizeHint > 0)
                throw new InvalidOperationException("record wrote more than its computed size");
            return buffer;
        }
    }
}
