using ZkCompat.Server.Quorum.Election;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>The peer's view of fast leader election running on the election port.</summary>
public sealed class DriverElection(ElectionDriver driver) : ILeaderElection
{
    public Task<ElectionResult> LookForLeaderAsync(long lastLoggedZxid, long currentEpoch, CancellationToken ct) =>
        driver.LookForLeaderAsync(lastLoggedZxid, currentEpoch, ct);

    public void UpdateElectionVote(long epoch) => driver.UpdateElectionVote(epoch);

    public void Reconfigure(QuorumMaj verifier, bool participant) => driver.Reconfigure(verifier, participant);
}
