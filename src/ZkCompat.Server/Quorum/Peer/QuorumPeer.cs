using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>What the peer needs from leader election: one round at a time, and the epoch once fixed.</summary>
public interface ILeaderElection
{
    Task<ElectionResult> LookForLeaderAsync(long lastLoggedZxid, long currentEpoch, CancellationToken ct);

    void UpdateElectionVote(long epoch);

    /// <summary>A reconfig was activated: the next round uses this membership.</summary>
    void Reconfigure(QuorumMaj verifier, bool participant) { }
}

/// <summary>
/// One server of an ensemble (Java's <c>QuorumPeer.run</c>): LOOKING → an election → LEADING, FOLLOWING or
/// OBSERVING until that role ends → LOOKING again, on the same database. The client port points at the
/// current role's server, or at nothing while electing.
/// </summary>
public sealed partial class QuorumPeer
{
    private readonly ILogger _log;
    private readonly ILeaderElection _election;
    private readonly QuorumPeerContext _ctx;
    private volatile ZooKeeperServer? _serving;
    private volatile Leader? _leader;

    public QuorumPeer(ServerOptions options, ZkDatabase database, IPeerNetwork network, ILeaderElection election, TimeProvider time, ILoggerFactory loggers)
    {
        _log = loggers.CreateLogger("ZkCompat.Server.Quorum.QuorumPeer");
        _election = election;
        _ctx = new QuorumPeerContext(options, database, network, time, loggers,
            new QuorumMaj(options.Servers, options.QuorumConfigVersion), SetServing, election.UpdateElectionVote);
        _ctx.Activated = OnReconfigured;
    }

    /// <summary>LOOKING, LEADING, FOLLOWING or OBSERVING.</summary>
    public ServerState State { get; private set; } = ServerState.Looking;

    /// <summary>The server that answers clients now; null while electing or syncing.</summary>
    public ZooKeeperServer? Serving => _serving;

    /// <summary>The leader role while this peer leads.</summary>
    public Leader? CurrentLeader => _leader;

    /// <summary>Called when <see cref="Serving"/> changes (old server, new server).</summary>
    public Action<ZooKeeperServer?, ZooKeeperServer?>? ServingChanged { get; set; }

    private void SetServing(ZooKeeperServer? zks)
    {
        var old = _serving;
        _serving = zks;
        if (!ReferenceEquals(old, zks)) ServingChanged?.Invoke(old, zks);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var db = _ctx.Database;
        InitConfigNode();
        while (!ct.IsCancellationRequested)
        {
            State = ServerState.Looking;
            var (currentEpoch, _) = db.LoadEpochs();
            LogLooking(_ctx.MyId, db.Tree.LastProcessedZxid, currentEpoch);
            ElectionResult result;
            using var looking = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var readOnly = _ctx.Options.ReadOnlyModeEnabled ? ServeReadOnlyAsync(looking.Token) : Task.CompletedTask;
            try
            {
                result = await _election.LookForLeaderAsync(db.Tree.LastProcessedZxid, currentEpoch, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                await looking.CancelAsync().ConfigureAwait(false);
                await readOnly.ConfigureAwait(false);
            }
            State = result.State;
            LogElected(result.State, result.LeaderSid, result.ElectionEpoch);
            try
            {
                switch (result.State)
                {
                    case ServerState.Leading:
                        var leader = new Leader(_ctx);
                        _leader = leader;
                        await leader.LeadAsync(ct).ConfigureAwait(false);
                        break;
                    case ServerState.Following:
                    case ServerState.Observing:
                        var spec = _ctx.Verifier.AllMembers.FirstOrDefault(s => s.Id == result.LeaderSid)
                            ?? throw new QuorumRoleEndedException($"the elected leader {result.LeaderSid} is not in the configuration");
                        await new Learner(_ctx, result.State == ServerState.Observing).RunAsync(spec, ct).ConfigureAwait(false);
                        break;
                }
            }
            catch (QuorumRoleEndedException e)
            {
                LogRoleEnded(result.State, e.Message);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A bug in a role must not take the peer down: log it loudly and elect again.
                LogRoleFailed(result.State, e);
            }
            finally
            {
                _leader = null;
                SetServing(null);
            }
            // What was logged but not committed counts for the next election (Java fast-forwards too).
            try
            {
                db.FastForward();
            }
            catch (Exception e) when (e is IOException or CorruptDataException)
            {
                LogFastForwardFailed(e);
                throw;
            }
        }
    }

    /// <summary>The current membership (changes with reconfig).</summary>
    public QuorumMaj Verifier => _ctx.Verifier;

    // Java's processReconfig side effects: the files on disk, /zookeeper/config, the election's view.
    private void OnReconfigured(QuorumMaj qv)
    {
        try
        {
            string? file = QuorumConfig.Persist(_ctx.Options, qv);
            LogReconfigured(qv.Version, file ?? "(no config file)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogPersistFailed(e);
        }
        InitConfigNode();
        var mine = qv.AllMembers.FirstOrDefault(m => m.Id == _ctx.MyId);
        _election.Reconfigure(qv, mine?.IsParticipant ?? false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconfigured to config version 0x{Version:x}, written to {File}")]
    private partial void LogReconfigured(long version, string file);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot write the dynamic config file")]
    private partial void LogPersistFailed(Exception e);

    private void InitConfigNode() =>
        _ctx.Database.Tree.InitConfigNode(_ctx.Verifier.ToString(), _ctx.Verifier.Version, _ctx.Time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>
    /// readonlymode.enabled: after a while without a quorum, serve read-only clients from the local tree
    /// (Java's roZkMgr thread), until the election ends.
    /// </summary>
    private async Task ServeReadOnlyAsync(CancellationToken looking)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(2000, _ctx.Options.TickTime)), _ctx.Time, looking).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        LogReadOnlyStarting();
        var role = new ServerRole
        {
            State = "read-only",
            ReadOnly = true,
            ServerId = _ctx.MyId,
            Chain = (zks, _, _) => new ReadOnlyRequestChain(zks, _ctx.Options.GlobalOutstandingLimit),
        };
        var server = new ZooKeeperServer(_ctx.Options, _ctx.Database, _ctx.Time, _ctx.Loggers, role);
        server.Start();
        SetServing(server);
        LogReadOnly();
        try
        {
            await Task.Delay(Timeout.Infinite, looking).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        SetServing(null);
        await server.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attempting to start ReadOnlyZooKeeperServer")]
    private partial void LogReadOnlyStarting();

    [LoggerMessage(Level = LogLevel.Information, Message = "Read-only server started: serving read-only clients until a quorum is found")]
    private partial void LogReadOnly();

    [LoggerMessage(Level = LogLevel.Information, Message = "LOOKING: sid {Sid}, last zxid 0x{Zxid:x}, current epoch 0x{Epoch:x}")]
    private partial void LogLooking(long sid, long zxid, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Election over: {State}, leader {Leader}, round 0x{Round:x}")]
    private partial void LogElected(ServerState state, long leader, long round);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{State} ended: {Reason}")]
    private partial void LogRoleEnded(ServerState state, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected exception while {State}")]
    private partial void LogRoleFailed(ServerState state, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot fast-forward the database from the txn log")]
    private partial void LogFastForwardFailed(Exception e);
}
