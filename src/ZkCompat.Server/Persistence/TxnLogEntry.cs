using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Txn;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// One txn as the log stores it: <c>TxnHeader</c>, the body the type calls for (none for some
/// types) and an optional <c>TxnDigest</c>, concatenated (Java's <c>Util.marshallTxnEntry</c> and
/// <c>SerializeUtils.deserializeTxn</c>).
/// </summary>
public sealed record TxnLogEntry(TxnHeader Header, IJuteRecord? Txn, TxnDigest? Digest)
{
    /// <summary>How reading a body depends on settings, as in Java.</summary>
    public readonly record struct ReadOptions(bool CloseSessionTxnEnabled, bool DigestEnabled, JuteLimits Limits)
    {
        public static ReadOptions Default => new(true, true, JuteLimits.Default);
    }

    /// <summary>The bytes of an entry, which the log checksums and frames.</summary>
    public static byte[] Marshal(TxnHeader header, IJuteWritable? txn, TxnDigest? digest)
    {
        int size = header.GetSerializedSize() + (txn?.GetSerializedSize() ?? 0) + (digest?.GetSerializedSize() ?? 0);
        var bytes = new byte[size];
        var output = new SpanBufferWriter(bytes);
        var writer = new JuteWriter(output);
        header.Serialize(ref writer);
        txn?.Serialize(ref writer);
        digest?.Serialize(ref writer);
        writer.Flush();
        return bytes;
    }

    /// <summary>
    /// Decodes an entry. A create body cut short is re-read as the pre-3.3 <c>CreateTxnV0</c>
    /// (parentCVersion -1), a closeSession body cut short is taken as none, and a missing digest
    /// is null.
    /// </summary>
    /// <exception cref="IOException">An unknown txn type or a malformed body.</exception>
    public static TxnLogEntry Unmarshal(ReadOnlyMemory<byte> bytes, ReadOptions options)
    {
        var reader = new JuteReader(bytes, options.Limits);
        var header = TxnHeader.Deserialize(ref reader);
        long bodyStart = reader.Consumed;
        IJuteRecord? txn;
        try
        {
            txn = ReadBody(ref reader, header.Type, options.CloseSessionTxnEnabled);
        }
        catch (JuteEndOfStreamException) when (header.Type == (int)OpCode.Create)
        {
            reader = new JuteReader(bytes[(int)bodyStart..], options.Limits);
            var v0 = CreateTxnV0.Deserialize(ref reader);
            txn = new CreateTxn { Path = v0.Path, Data = v0.Data, Acl = v0.Acl, Ephemeral = v0.Ephemeral, ParentCVersion = -1 };
        }
        catch (JuteEndOfStreamException) when (header.Type == (int)OpCode.CloseSession)
        {
            // Written before CloseSessionTxn existed.
            txn = null;
        }

        TxnDigest? digest = null;
        // No bytes left is the common "no digest" case: answered without an exception, which costs
        // more than decoding the whole entry (a restart replays up to snapCount of them).
        if (options.DigestEnabled && !reader.End)
        {
            try
            {
                digest = TxnDigest.Deserialize(ref reader);
            }
            catch (JuteEndOfStreamException)
            {
                digest = null;
            }
        }
        return new TxnLogEntry(header, txn, digest);
    }

    private static IJuteRecord? ReadBody(ref JuteReader reader, int type, bool closeSessionTxnEnabled) => (OpCode)type switch
    {
        OpCode.CreateSession => CreateSessionTxn.Deserialize(ref reader),
        OpCode.CloseSession => closeSessionTxnEnabled ? CloseSessionTxn.Deserialize(ref reader) : null,
        OpCode.Create or OpCode.Create2 => CreateTxn.Deserialize(ref reader),
        OpCode.CreateTtl => CreateTTLTxn.Deserialize(ref reader),
        OpCode.CreateContainer => CreateContainerTxn.Deserialize(ref reader),
        OpCode.Delete or OpCode.DeleteContainer => DeleteTxn.Deserialize(ref reader),
        OpCode.Reconfig or OpCode.SetData => SetDataTxn.Deserialize(ref reader),
        OpCode.SetAcl => SetACLTxn.Deserialize(ref reader),
        OpCode.Error => ErrorTxn.Deserialize(ref reader),
        OpCode.Multi => MultiTxn.Deserialize(ref reader),
        _ => throw new IOException("Unsupported Txn with type=" + type),
    };

    /// <summary>Writes into one pre-sized array.</summary>
    private sealed class SpanBufferWriter(byte[] buffer) : System.Buffers.IBufferWriter<byte>
    {
        private int _written;

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => buffer.AsMemory(_written);

        // Sizes were computed up front, so what is left always fits what is asked for.
        public Span<byte> GetSpan(int sizeHint = 0) => buffer.AsSpan(_written);
    }
}
