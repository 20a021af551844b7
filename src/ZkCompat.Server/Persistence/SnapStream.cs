using System.Buffers;
using System.IO.Pipelines;
using ZkCompat.Jute;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Persistence;

/// <summary>What a learner loaded from a SNAP stream: a tree nobody else uses yet and the leader's sessions.</summary>
public sealed record SnapStreamContent(DataTree Tree, Dictionary<long, int> Sessions);

/// <summary>
/// The database a leader sends right after a SNAP QuorumPacket on the quorum socket (Java's
/// <c>LearnerHandler.run</c> → <c>ZKDatabase.serializeSnapshot</c> + <c>writeString("BenWasHere")</c>,
/// read back by <c>Learner.syncWithLeader</c>): the body of a snapshot file — <c>int</c> session count,
/// <c>{long id, int timeout}*</c>, the ACL section, the nodes and "/" — with no file header, no
/// checksum seals and no zxid digest, then the ustring "BenWasHere". Nothing frames it: QuorumPackets
/// follow on the same stream.
/// </summary>
public static class SnapStream
{
    /// <summary>The ustring that closes the stream; a learner aborts the sync on anything else.</summary>
    public const string Signature = "BenWasHere";

    /// <summary>What <see cref="CorruptDataException.FilePath"/> says for a SNAP stream.</summary>
    public const string SourceName = "SNAP stream";

    // Bytes serialized before they are handed to the output: bounds memory for any tree size.
    private const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Writes the sessions, the tree and the signature to <paramref name="output"/> (after the caller
    /// wrote the SNAP packet), a chunk at a time, then flushes. The tree may change meanwhile: as for
    /// a snapshot file, each node is copied under its lock, and the txns the leader queues after the
    /// SNAP's zxid repair the rest on the learner.
    /// </summary>
    public static async Task WriteAsync(Stream output, DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(sessions);
        var producer = new Producer(tree, SnapshotFile.CopySessions(sessions));
        var buffer = new ArrayBufferWriter<byte>(ChunkSize * 2);
        bool done;
        do
        {
            done = producer.Fill(buffer, ChunkSize);
            await output.WriteAsync(buffer.WrittenMemory, ct).ConfigureAwait(false);
            buffer.ResetWrittenCount();
        }
        while (!done);
        // Java flushes its BufferedOutputStream right after the signature.
        await output.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads one SNAP stream from <paramref name="input"/> into a new tree. Only the stream's own bytes
    /// are consumed: whatever follows (NEWLEADER, PROPOSALs …) stays in <paramref name="input"/> for
    /// the caller's next read. The tree's <see cref="DataTree.LastProcessedZxid"/> is left at 0 for the
    /// caller to set to the SNAP packet's zxid.
    /// </summary>
    /// <param name="input">
    /// The reader the caller also takes QuorumPackets from (e.g. <c>PipeReader.Create(socketStream)</c>);
    /// it must be able to buffer one whole node (up to <c>jute.maxbuffer</c> + extra) unconsumed.
    /// </param>
    /// <exception cref="CorruptDataException">Malformed content, a length over <paramref name="limits"/>, a wrong signature, or the input ending early.</exception>
    public static Task<SnapStreamContent> ReadAsync(PipeReader input, JuteLimits limits, bool extendedTypesEnabled,
        CancellationToken ct) =>
        ReadAsync(input, new DataTree(extendedTypesEnabled), limits, ct);

    /// <summary>
    /// As the other overload, loading into <paramref name="freshTree"/>, a tree built with the server's
    /// settings (extended types, 3.5.3 TTL emulation, digest) that nobody else uses yet.
    /// </summary>
    public static async Task<SnapStreamContent> ReadAsync(PipeReader input, DataTree freshTree, JuteLimits limits,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(freshTree);
        var consumer = new Consumer(freshTree, limits);
        // Below this many unread bytes the next item cannot be complete, so parsing again is pointless.
        long minUnread = 0;
        while (true)
        {
            var result = await input.ReadAsync(ct).ConfigureAwait(false);
            if (result.IsCanceled)
            {
                input.AdvanceTo(result.Buffer.Start);
                throw new OperationCanceledException("SNAP stream read was cancelled", ct);
            }
            var buffer = result.Buffer;
            if (buffer.Length < minUnread && !result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            long consumed = 0;
            bool done;
            try
            {
                done = consumer.Parse(buffer, result.IsCompleted, out consumed, out minUnread);
            }
            catch
            {
                input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
                throw;
            }

            if (done)
            {
                // Examined only up to here: a caller's next ReadAsync returns what follows at once.
                input.AdvanceTo(buffer.GetPosition(consumed));
                freshTree.DigestFromLoadedSnapshot = null;
                return new SnapStreamContent(freshTree, consumer.Sessions);
            }
            input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
        }
    }

    /// <summary>Serializes the stream section by section, a bounded piece per call.</summary>
    private sealed class Producer(DataTree tree, KeyValuePair<long, int>[] sessions)
    {
        private enum Section { SessionCount, Sessions, Acls, Nodes, Signature, Done }

        private Section _section;
        private int _nextSession;
        private DataTree.SnapshotNodeWriter? _nodes;

        /// <summary>Appends about <paramref name="chunkSize"/> bytes (more only for one large node); true when the signature is written.</summary>
        public bool Fill(IBufferWriter<byte> output, int chunkSize)
        {
            var writer = new JuteWriter(output);
            while (_section != Section.Done && writer.BytesWritten < chunkSize)
            {
                switch (_section)
                {
                    case Section.SessionCount:
                        writer.WriteInt(sessions.Length);
                        _section = Section.Sessions;
                        break;
                    case Section.Sessions:
                        for (; _nextSession < sessions.Length && writer.BytesWritten < chunkSize; _nextSession++)
                        {
                            writer.WriteLong(sessions[_nextSession].Key);
                            writer.WriteInt(sessions[_nextSession].Value);
                        }
                        if (_nextSession == sessions.Length) _section = Section.Acls;
                        break;
                    case Section.Acls:
                        // Java writes the ACL map before walking the nodes; it is already in memory whole.
                        tree.Acls.Serialize(ref writer);
                        _nodes = tree.BeginNodeWrite();
                        _section = Section.Nodes;
                        break;
                    case Section.Nodes:
                        if (_nodes!.WriteNodes(ref writer, chunkSize)) _section = Section.Signature;
                        break;
                    case Section.Signature:
                        writer.WriteUString(Signature);
                        _section = Section.Done;
                        break;
                }
            }
            writer.Flush();
            return _section == Section.Done;
        }
    }

    /// <summary>
    /// Parses the stream item by item off whatever input has arrived. Each item (a count, a session,
    /// an ACL entry, a node, the signature) is applied only once whole, so an item cut by the end of
    /// the input is simply parsed again when more has arrived.
    /// </summary>
    private sealed class Consumer(DataTree tree, JuteLimits limits)
    {
        private enum Section { SessionCount, Sessions, AclCount, Acls, Nodes, Signature, Done }

        private Section _section;
        private int _remaining;
        private long _offset;
        private readonly List<KeyValuePair<long, List<ACL>>> _acls = [];
        private DataTree.SnapshotNodeLoader? _nodes;

        public Dictionary<long, int> Sessions { get; } = [];

        /// <summary>
        /// Takes every whole item off <paramref name="input"/>; true once the signature is read.
        /// <paramref name="consumed"/> is how much of the input those items took; when more is
        /// needed, <paramref name="minUnread"/> is the least the unconsumed input must hold before
        /// another try can get further.
        /// </summary>
        public bool Parse(ReadOnlySequence<byte> input, bool inputComplete, out long consumed, out long minUnread)
        {
            var reader = new JuteReader(input, limits);
            consumed = 0;
            minUnread = 0;
            try
            {
                while (_section != Section.Done)
                {
                    ParseItem(ref reader);
                    consumed = reader.Consumed;
                }
                _offset += consumed;
                return true;
            }
            catch (JuteEndOfStreamException e)
            {
                long itemStart = _offset + consumed;
                _offset = itemStart;
                if (inputComplete)
                    throw new CorruptDataException(SourceName, itemStart, $"stream ended inside the {Describe(_section)}", e);
                minUnread = reader.Consumed - consumed + e.Needed;
                return false;
            }
            catch (CorruptDataException)
            {
                throw;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or FormatException)
            {
                // JuteException (a length over jute.maxbuffer, a node before its parent …) is an IOException.
                throw new CorruptDataException(SourceName, _offset + consumed, e.Message, e);
            }
        }

        private void ParseItem(ref JuteReader reader)
        {
            switch (_section)
            {
                case Section.SessionCount:
                    _remaining = reader.ReadInt();
                    _section = Section.Sessions;
                    break;
                case Section.Sessions:
                    if (_remaining <= 0)
                    {
                        _section = Section.AclCount;
                        break;
                    }
                    long id = reader.ReadLong();
                    int timeout = reader.ReadInt();
                    Sessions[id] = timeout;
                    _remaining--;
                    break;
                case Section.AclCount:
                    _remaining = reader.ReadInt();
                    _section = Section.Acls;
                    break;
                case Section.Acls:
                    if (_remaining <= 0)
                    {
                        // The map first: the node loader counts each node's use of it.
                        tree.Acls.Load(_acls);
                        _acls.Clear();
                        _nodes = tree.BeginNodeLoad();
                        _section = Section.Nodes;
                        break;
                    }
                    _acls.Add(AclCache.ReadEntry(ref reader));
                    _remaining--;
                    break;
                case Section.Nodes:
                    if (!_nodes!.ReadNode(ref reader))
                    {
                        _nodes.Complete();
                        _section = Section.Signature;
                    }
                    break;
                case Section.Signature:
                    long at = _offset + reader.Consumed;
                    string? signature = reader.ReadUString();
                    if (signature != Signature)
                        throw new CorruptDataException(SourceName, at, $"Missing signature. Got {signature ?? "null"}");
                    _section = Section.Done;
                    break;
            }
        }

        private static string Describe(Section section) => section switch
        {
            Section.SessionCount or Section.Sessions => "session list",
            Section.AclCount or Section.Acls => "ACL map",
            Section.Nodes => "node list",
            _ => "signature",
        };
    }
}
