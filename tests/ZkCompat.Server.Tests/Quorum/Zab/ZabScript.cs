using System.Buffers.Binary;
using System.Text;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Quorum.Transport;
using ZkCompat.Server.Quorum.Zab;
using static ZkCompat.Server.Tests.Quorum.Zab.SyncPlannerTests;

namespace ZkCompat.Server.Tests.Quorum.Zab;

/// <summary>
/// Reads and prints the handshake scripts: packets as <c>TYPE(zxid)</c> or <c>TYPE(zxid, hex|null)</c>, zxids as
/// epoch:counter or a plain number, actions as short phrases (<c>send ACK(2:0)</c>, <c>persist currentEpoch 2</c>).
/// </summary>
internal static class ZabScript
{
    /// <summary>Parses <c>TYPE(zxid[, data])</c>; without data, proposals carry their zxid's bytes and LEADERINFO 0x10000.</summary>
    public static QuorumPacket Packet(string text)
    {
        int open = text.IndexOf('(');
        var type = Enum.Parse<QuorumPacketType>(text[..open], ignoreCase: true);
        var args = text[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries);
        long zxid = ParseZxid(args[0]);
        byte[]? data = args.Length > 1
            ? args[1] == "null" ? null : Convert.FromHexString(args[1])
            : type switch
            {
                QuorumPacketType.LeaderInfo => [0, 1, 0, 0],
                QuorumPacketType.Proposal or QuorumPacketType.Inform => TxnBytes(zxid),
                _ => null,
            };
        return QuorumPackets.Create(type, zxid, data);
    }

    public static long ParseZxid(string text) => text.Contains(':') ? Z(text) : long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    public static byte[] TxnBytes(long zxid)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, zxid);
        return bytes;
    }

    public static string Describe(QuorumPacket p)
    {
        var type = ((QuorumPacketType)p.Type).ToString().ToUpperInvariant();
        string zxid = p.Zxid == -1 ? "-1" : Show(p.Zxid);
        return (QuorumPacketType)p.Type switch
        {
            QuorumPacketType.AckEpoch => $"{type}({zxid}, {QuorumPackets.ParseAckEpoch(p.Data)})",
            QuorumPacketType.LeaderInfo => $"{type}({zxid}, {QuorumPackets.ParseLeaderInfo(p.Data)})",
            QuorumPacketType.FollowerInfo or QuorumPacketType.ObserverInfo => $"{type}({zxid}, sid {QuorumPackets.ParseLearnerInfo(p.Data).Sid})",
            _ => $"{type}({zxid})",
        };
    }

    public static string Describe(LearnerOutput output) =>
        output.Failure is { } f ? $"fail {f.Error}" : string.Join("; ", output.Actions.Select(Describe));

    public static string Describe(LeaderOutput output)
    {
        var parts = output.Actions.Select(Describe).ToList();
        if (output.Failure is { } f) parts.Add($"fail {f.Error}");
        return string.Join("; ", parts);
    }

    private static string Describe(LearnerAction action) => action switch
    {
        SendToLeader s => $"send {Describe(s.Packet)}",
        PersistAcceptedEpoch a => $"persist acceptedEpoch {a.Epoch}",
        PersistCurrentEpoch c => $"persist currentEpoch {c.Epoch}",
        TruncateLog t => $"truncate to {Show(t.Zxid)}",
        LoadSnapshotStream l => $"load snapshot {Show(l.Zxid)}",
        ApplyTxn a => $"apply {Show(a.Txn.Zxid)}" + (a.Txn.Data.SequenceEqual(TxnBytes(a.Txn.Zxid)) ? "" : " with wrong bytes"),
        RecordLastSeenConfig r => $"config {r.ConfigText}",
        TakeSnapshot t => t.SyncSnapshot ? "snapshot+sync" : "snapshot",
        LogTxns l => $"log {Zxids(l.Txns.Select(t => t.Zxid))}",
        StartServing s => $"serve ack[{Zxids(s.AckZxids)}] log[{Zxids(s.ToLog.Select(t => t.Zxid))}] commit[{Zxids(s.ToCommit)}]",
        _ => action.ToString(),
    };

    private static string Describe(LeaderAction action) => action switch
    {
        SendToLearner s => $"#{s.Connection} {Describe(s.Packet)}",
        DropLearner d => $"drop #{d.Connection} {d.Failure.Error}",
        PersistLeaderAcceptedEpoch a => $"persist acceptedEpoch {a.Epoch}",
        PersistLeaderCurrentEpoch c => $"persist currentEpoch {c.Epoch}",
        LearnerReadyToSync r => $"sync #{r.Connection} sid {r.Sid}{(r.IsObserver ? " observer" : "")} from {(r.PeerLastZxid == -1 ? "-1" : Show(r.PeerLastZxid))}"
            + (r.ProtocolVersion < QuorumPackets.ProtocolVersion1_0 ? " pre-1.0" : ""),
        _ => action.ToString(),
    };

    private static string Zxids(IEnumerable<long> zxids) => string.Join(',', zxids.Select(Show));

    public static string Hex(string text) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text));
}
