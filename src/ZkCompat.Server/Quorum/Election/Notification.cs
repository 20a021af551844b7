namespace ZkCompat.Server.Quorum.Election;

/// <summary>
/// One election notification as it travels on the election port: the sender's state and the vote it
/// proposes (or the leader it follows). The sender's sid is not in the message; the connection knows it.
/// </summary>
/// <param name="Version">Message format: 0 for the 28/40-byte legacy forms, 2 for 3.4.6+ with config.</param>
/// <param name="ConfigText">The sender's quorum config as text (version 2 only), null otherwise.</param>
public sealed record Notification(
    ServerState State,
    long Leader,
    long Zxid,
    long ElectionEpoch,
    long PeerEpoch,
    int Version = Notification.CurrentVersion,
    string? ConfigText = null)
{
    /// <summary>The format written by 3.4.6 and later, carrying the config text.</summary>
    public const int CurrentVersion = 2;

    public override string ToString() =>
        $"{State} leader={Leader} zxid=0x{Zxid:x} round=0x{ElectionEpoch:x} peerEpoch=0x{PeerEpoch:x} v{Version}";
}

/// <summary>A notification the election wants delivered to <paramref name="ToSid"/>.</summary>
public readonly record struct OutgoingNotification(long ToSid, Notification Message);
