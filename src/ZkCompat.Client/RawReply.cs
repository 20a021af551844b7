using ZkCompat.Protocol.Proto;

namespace ZkCompat.Client;

/// <summary>A reply as it came off the wire: its header and the bytes after it (empty when err != 0).</summary>
public readonly record struct RawReply(ReplyHeader Header, ReadOnlyMemory<byte> Body);
