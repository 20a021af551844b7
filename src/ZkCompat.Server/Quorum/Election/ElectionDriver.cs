using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Quorum.Election;

/// <summary>
/// Runs one <see cref="FastLeaderElection"/> over a <see cref="QuorumCnxManager"/> for the whole life of
/// a server (Java's FastLeaderElection threads: Messenger's WorkerReceiver/WorkerSender plus the
/// lookForLeader loop). Received notifications, ticks and election starts are handled one at a time by a
/// single loop fed through a bounded channel; the election keeps answering LOOKING peers while this
/// server follows or leads, so the loop runs all the time, not only while electing.
/// </summary>
public sealed partial class ElectionDriver : IAsyncDisposable
{
    private const int CommandCapacity = 256;

    // Java's WorkerReceiver queues what arrives before lookForLeader first runs; so do we, boundedly.
    private const int EarlyMessageCapacity = 100;

    private const int NotStarted = 0;
    private const int Running = 1;
    private const int Disposed = 2;

    private FastLeaderElection _election;
    private (QuorumMaj Verifier, bool Participant)? _nextMembership;
    private readonly Lock _electionGate = new();
    private readonly QuorumCnxManager _manager;
    private readonly bool _ownsManager;
    private readonly TimeProvider _time;
    private readonly ElectionOptions _options;
    private readonly ILogger _log;
    private readonly Channel<Command> _commands = Channel.CreateBounded<Command>(new BoundedChannelOptions(CommandCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Queue<(long Sid, Notification Message)> _early = new();
    private ITimer? _ticker;
    private Task? _loop;
    private Task? _pump;
    private int _state;
    private int _pendingTicks;
    private int _wakeQueued;
    private int _earlyCount;
    private bool _electionStarted;
    private TaskCompletionSource<ElectionResult>? _waiting;

    /// <param name="manager">The election-port connections; its sid is this server's.</param>
    /// <param name="quorumVerifier">The configuration votes are counted against.</param>
    /// <param name="participant">False for an observer.</param>
    /// <param name="ownsManager">When true, <see cref="Start"/> starts the manager and <see cref="DisposeAsync"/> disposes it.</param>
    public ElectionDriver(
        QuorumCnxManager manager,
        QuorumMaj quorumVerifier,
        bool participant,
        TimeProvider time,
        ILoggerFactory loggers,
        ElectionOptions? options = null,
        bool ownsManager = false)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(quorumVerifier);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        _manager = manager;
        _ownsManager = ownsManager;
        _time = time;
        _options = options ?? ElectionOptions.Default;
        _election = new FastLeaderElection(manager.MySid, quorumVerifier, participant, _options);
        _log = loggers.CreateLogger("ZkCompat.Server.Quorum.Election.ElectionDriver");
    }

    /// <summary>
    /// The driver a server runs: a <see cref="QuorumCnxManager"/> on this server's election port(s) and
    /// a majority quorum of <see cref="ServerOptions.Servers"/>. The driver owns the manager.
    /// </summary>
    public static ElectionDriver Create(ServerOptions options, IPeerNetwork network, TimeProvider time, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        var self = options.Self ?? throw new ArgumentException($"myid {options.ServerId} has no server.{options.ServerId} line", nameof(options));
        if (options.IsHierarchicalQuorum)
            throw new NotSupportedException("hierarchical quorums (group./weight. lines) are not supported");
        var manager = new QuorumCnxManager(options.ServerId, options.Servers, options.QuorumListenOnAllIPs, network, time, loggers,
            QuorumCnxManagerOptions.From(options));
        var verifier = new QuorumMaj(options.Servers, options.QuorumConfigVersion);
        return new ElectionDriver(manager, verifier, self.IsParticipant, time, loggers, OptionsFrom(options), ownsManager: true);
    }

    /// <summary>
    /// Java's FastLeaderElection settings from system properties: <c>zookeeper.fastleader.minNotificationInterval</c>
    /// (200 ms) and <c>zookeeper.fastleader.maxNotificationInterval</c> (60 s). The minimum is kept at one
    /// tick or more, so a zero cannot make the election resend on every tick.
    /// </summary>
    public static ElectionOptions OptionsFrom(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = ElectionOptions.Default;
        var min = TimeSpan.FromMilliseconds(options.GetInt32Property("zookeeper.fastleader.minNotificationInterval", 200));
        var max = TimeSpan.FromMilliseconds(options.GetInt32Property("zookeeper.fastleader.maxNotificationInterval", 60000));
        if (min < defaults.TickInterval) min = defaults.TickInterval;
        if (max < min) max = min;
        return defaults with { MinNotificationInterval = min, MaxNotificationInterval = max };
    }

    public long MySid => _manager.MySid;

    /// <summary>
    /// Java's restartLeaderElection after a reconfig: the transport learns the new members now; the next
    /// election round uses the new quorum (the current one keeps answering LOOKING peers as before).
    /// </summary>
    public void Reconfigure(QuorumMaj verifier, bool participant)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        _manager.UpdateMembers(verifier.AllMembers);
        lock (_electionGate) _nextMembership = (verifier, participant);
    }

    /// <summary>Raised on the loop after each message, tick batch or start it handled; for tests.</summary>
    internal event Action? CommandHandled;

    /// <summary>Notifications kept for the first round; for tests.</summary>
    internal int EarlyMessageCount => Volatile.Read(ref _earlyCount);

    public QuorumCnxManager Manager => _manager;

    /// <summary>LOOKING while electing, then the role the last election gave.</summary>
    public ServerState State
    {
        get
        {
            lock (_electionGate) return _election.State;
        }
    }

    /// <summary>The vote told to LOOKING peers while this server is out of election.</summary>
    public Vote CurrentVote
    {
        get
        {
            lock (_electionGate) return _election.CurrentVote;
        }
    }

    /// <summary>What this server proposes in the current round.</summary>
    public Vote Proposal
    {
        get
        {
            lock (_electionGate) return _election.Proposal;
        }
    }

    /// <summary>The election round (Java's logicalclock).</summary>
    public long LogicalClock
    {
        get
        {
            lock (_electionGate) return _election.LogicalClock;
        }
    }

    /// <summary>Starts the loop and the ticker (and the manager, when owned). Call once.</summary>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, Running, NotStarted) != NotStarted)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _state) == Disposed, this);
            throw new InvalidOperationException("already started");
        }
        if (_ownsManager)
        {
            try
            {
                _manager.Start();
            }
            catch
            {
                Interlocked.CompareExchange(ref _state, NotStarted, Running);
                throw;
            }
        }
        var ct = _stopping.Token;
        // Ticks matter only while looking; the ticker sleeps otherwise (see OnStart and Dispatch).
        _ticker = _time.CreateTimer(static s => ((ElectionDriver)s!).OnTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _loop = Task.Run(() => RunLoopAsync(ct));
        _pump = Task.Run(() => PumpAsync(ct));
    }

    /// <summary>
    /// Starts a new round (Java's <c>lookForLeader</c>) with what the log and the currentEpoch file say,
    /// and completes when this server knows its role. One at a time; cancelling gives up waiting but the
    /// election goes on answering peers. The next call starts a fresh round.
    /// </summary>
    public async Task<ElectionResult> LookForLeaderAsync(long lastLoggedZxid, long currentEpoch, CancellationToken ct)
    {
        int state = Volatile.Read(ref _state);
        ObjectDisposedException.ThrowIf(state == Disposed, this);
        if (state == NotStarted) throw new InvalidOperationException("Start the driver first");

        var done = new TaskCompletionSource<ElectionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = ct.Register(static s =>
        {
            var (tcs, token) = ((TaskCompletionSource<ElectionResult>, CancellationToken))s!;
            tcs.TrySetCanceled(token);
        }, (done, ct));
        try
        {
            await _commands.Writer.WriteAsync(new StartElection(lastLoggedZxid, currentEpoch, done), ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(ElectionDriver));
        }
        return await done.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Java's <c>QuorumPeer.updateElectionVote</c>: once the new epoch is settled, LOOKING peers are told
    /// the vote with it. Takes effect at once.
    /// </summary>
    public void UpdateElectionVote(long epoch)
    {
        lock (_electionGate) _election.UpdateElectionVote(epoch);
    }

    private void OnTick()
    {
        Interlocked.Increment(ref _pendingTicks);
        // One wake-up in the queue is enough: the loop takes every pending tick at once.
        if (Interlocked.Exchange(ref _wakeQueued, 1) == 0 && !_commands.Writer.TryWrite(Wake.Instance))
            Volatile.Write(ref _wakeQueued, 0);
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (sid, payload) in _manager.Received.ReadAllAsync(ct).ConfigureAwait(false))
                await _commands.Writer.WriteAsync(new Received(sid, payload), ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    private async Task RunLoopAsync(CancellationToken ct)
    {
        var reader = _commands.Reader;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var command))
                {
                    try
                    {
                        TakeTicks();
                        Handle(command);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogLoopFailed(e);
                    }
                    CommandHandled?.Invoke();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Handle(Command command)
    {
        switch (command)
        {
            case Wake:
                Volatile.Write(ref _wakeQueued, 0);
                TakeTicks();
                break;
            case Received received:
                OnReceived(received.Sid, received.Payload);
                break;
            case StartElection start:
                OnStart(start);
                break;
        }
    }

    private void OnStart(StartElection start)
    {
        if (start.Done.Task.IsCompleted) return; // cancelled while queued
        if (_waiting is { Task.IsCompleted: false })
        {
            start.Done.TrySetException(new InvalidOperationException("a leader election is already under way"));
            return;
        }
        _waiting = start.Done;
        ElectionOutput output;
        lock (_electionGate)
        {
            // A reconfig activated since the last round: this round counts votes against the new membership.
            if (_nextMembership is { } next)
            {
                _election = new FastLeaderElection(MySid, next.Verifier, next.Participant, _options);
                _nextMembership = null;
            }
            output = _election.Start(start.LastLoggedZxid, start.CurrentEpoch);
        }
        _electionStarted = true;
        _ticker?.Change(_options.TickInterval, _options.TickInterval);
        LogLooking(MySid, start.LastLoggedZxid, start.CurrentEpoch);
        Dispatch(output);
        Volatile.Write(ref _earlyCount, 0);
        while (_early.TryDequeue(out var early))
        {
            lock (_electionGate) output = _election.Step(early.Sid, early.Message);
            Dispatch(output);
        }
    }

    private void OnReceived(long sid, byte[] payload)
    {
        Notification notification;
        try
        {
            notification = ElectionMessages.DecodeNotification(payload);
        }
        catch (ElectionMessageException e)
        {
            LogMalformed(sid, payload.Length, e.Message);
            return;
        }
        if (!_electionStarted)
        {
            if (_early.Count == EarlyMessageCapacity) _early.Dequeue();
            _early.Enqueue((sid, notification));
            Volatile.Write(ref _earlyCount, _early.Count);
            return;
        }
        ElectionOutput output;
        lock (_electionGate) output = _election.Step(sid, notification);
        Dispatch(output);
    }

    private void TakeTicks()
    {
        int ticks = Interlocked.Exchange(ref _pendingTicks, 0);
        if (!_electionStarted) return;
        for (int i = 0; i < ticks; i++)
        {
            ElectionOutput output;
            lock (_electionGate) output = _election.Tick();
            Dispatch(output);
        }
    }

    private void Dispatch(ElectionOutput output)
    {
        foreach (var message in output.Messages)
            _manager.ToSend(message.ToSid, ElectionMessages.EncodeNotification(message.Message));
        if (output.Result is not { } result) return;
        // Out of election the state machine only answers peers; it needs no clock until the next round.
        _ticker?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        LogDecided(MySid, result.State, result.LeaderSid, result.ElectionEpoch);
        var waiting = _waiting;
        _waiting = null;
        if (waiting is null || !waiting.TrySetResult(result)) LogUnclaimed(MySid, result.LeaderSid);
    }

    /// <summary>Stops ticking and the loop; a pending <see cref="LookForLeaderAsync"/> fails with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        int previous = Interlocked.Exchange(ref _state, Disposed);
        if (previous == Disposed) return;
        _commands.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        if (_pump is not null) await _pump.ConfigureAwait(false);
        // Only the loop re-arms the ticker, so it stays down once the loop is gone.
        if (_ticker is not null) await _ticker.DisposeAsync().ConfigureAwait(false);

        var disposed = new ObjectDisposedException(nameof(ElectionDriver));
        while (_commands.Reader.TryRead(out var command))
            if (command is StartElection start) start.Done.TrySetException(disposed);
        _waiting?.TrySetException(disposed);
        _waiting = null;
        if (_ownsManager) await _manager.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private abstract record Command;

    private sealed record Wake : Command
    {
        public static Wake Instance { get; } = new();
    }

    private sealed record Received(long Sid, byte[] Payload) : Command;

    private sealed record StartElection(long LastLoggedZxid, long CurrentEpoch, TaskCompletionSource<ElectionResult> Done) : Command;

    [LoggerMessage(Level = LogLevel.Information, Message = "New election. My id = {MySid}, proposed zxid=0x{Zxid:x}, current epoch {Epoch}")]
    private partial void LogLooking(long mySid, long zxid, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Server {MySid} is {State}, leader {Leader}, election round 0x{Round:x}")]
    private partial void LogDecided(long mySid, ServerState state, long leader, long round);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Server {MySid} settled on leader {Leader} but nobody waits for it any more")]
    private partial void LogUnclaimed(long mySid, long leader);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping a malformed notification of {Length} bytes from sid {Sid}: {Reason}")]
    private partial void LogMalformed(long sid, int length, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure in the election loop")]
    private partial void LogLoopFailed(Exception e);
}
