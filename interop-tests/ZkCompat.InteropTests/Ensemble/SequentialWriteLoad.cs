using System.Diagnostics;
using System.Text;
using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>
/// Several sessions, each creating sequential keys <c>root/wN/k000000</c>, <c>k000001</c>, ... one at a
/// time, every acknowledged create recorded with when it was sent and answered. A create whose
/// connection is lost is retried with the same key on the resumed session (NodeExists then means it
/// was applied and only the reply was lost), so every writer's keys are contiguous. Writers keep going
/// across a leader's death; <see cref="StopAsync"/> lets each finish its write in flight.
/// </summary>
internal sealed class SequentialWriteLoad(string root)
{
    private readonly List<Writer> _writers = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Signal)> _waiters = [];
    private readonly Lock _gate = new();
    private readonly List<Task> _running = [];
    private volatile bool _stopping;
    private long _markTimestamp = long.MaxValue;

    public IReadOnlyList<Writer> Writers => _writers;

    /// <summary>Starts one writer per session; each writes under its own <c>root/wN</c>, created first.</summary>
    public async Task StartAsync(IReadOnlyList<ReconnectingSession> sessions, CancellationToken ct)
    {
        for (int i = 0; i < sessions.Count; i++)
        {
            var writer = new Writer(i, sessions[i], $"{root}/w{i}");
            await sessions[i].Client.CreateAsync(writer.Directory, null, Acls.OpenAclUnsafe, ct: ct);
            _writers.Add(writer);
        }
        foreach (var writer in _writers) _running.Add(Task.Run(() => RunAsync(writer, ct), ct));
    }

    /// <summary>From now on, acknowledged writes sent after this moment count as "after the mark" (the leader is dead).</summary>
    public void Mark() => Interlocked.Exchange(ref _markTimestamp, Stopwatch.GetTimestamp());

    /// <summary>The <see cref="Stopwatch"/> timestamp of the first acknowledgement of a write sent after <see cref="Mark"/>; null if none yet.</summary>
    public long? FirstAckAfterMark
    {
        get
        {
            long mark = Interlocked.Read(ref _markTimestamp);
            long first = _writers.SelectMany(w => w.AckedSnapshot()).Where(a => a.Sent > mark).Select(a => a.Answered).DefaultIfEmpty(long.MaxValue).Min();
            return first == long.MaxValue ? null : first;
        }
    }

    /// <summary>Completes once the writers have <paramref name="count"/> acknowledged writes in all.</summary>
    public Task AckedAtLeastAsync(int count, CancellationToken ct) =>
        WhenAsync(() => _writers.Sum(w => w.AckedCount) >= count, ct);

    /// <summary>Completes once every writer has <paramref name="count"/> acknowledged writes sent after <see cref="Mark"/>.</summary>
    public Task EachAckedAfterMarkAsync(int count, CancellationToken ct)
    {
        return WhenAsync(() => _writers.All(w => AckedAfterMark(w) >= count), ct);

        int AckedAfterMark(Writer w)
        {
            long mark = Interlocked.Read(ref _markTimestamp);
            return w.AckedSnapshot().Count(a => a.Sent > mark);
        }
    }

    /// <summary>Lets every writer finish its write in flight and stop; rethrows what made a writer fail.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        await Task.WhenAll(_running);
    }

    /// <summary>Per writer: keys written, acknowledged, applied with the reply lost, reconnects, server now.</summary>
    public string Summary() => string.Join("\n", _writers.Select(w =>
        $"writer {w.Index} (session 0x{w.Session.SessionId:x}): {w.KeysWritten} keys, {w.AckedCount} acknowledged, " +
        $"{w.AppliedWithoutReply} applied with the reply lost, {w.Session.Reconnects} reconnect(s), now on {w.Session.Server}"));

    public static byte[] Value(string path) => Encoding.UTF8.GetBytes("value of " + path);

    private async Task RunAsync(Writer writer, CancellationToken ct)
    {
        try
        {
            for (int n = 0; !_stopping; n++)
            {
                string path = $"{writer.Directory}/k{n:D6}";
                bool retry = false;
                while (true)
                {
                    long sent = Stopwatch.GetTimestamp();
                    try
                    {
                        await writer.Session.Client.CreateAsync(path, Value(path), Acls.OpenAclUnsafe, ct: ct);
                        writer.RecordAck(path, sent, Stopwatch.GetTimestamp());
                        break;
                    }
                    catch (KeeperException e) when (e.Code == ErrorCode.ConnectionLoss)
                    {
                        await writer.Session.ReconnectAsync(ct);
                        retry = true;
                    }
                    catch (KeeperException e) when (e.Code == ErrorCode.NodeExists && retry)
                    {
                        writer.RecordAppliedWithoutReply();
                        break;
                    }
                }
                writer.KeysWritten = n + 1;
                Signal();
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            writer.Failure = e;
            throw new InvalidOperationException($"writer {writer.Index} failed on {writer.Session.Server}: {e.Message}", e);
        }
        finally
        {
            // A failed writer will never satisfy a waiter; wake them so they can see the failure.
            Signal(failed: writer.Failure is not null);
        }
    }

    private Task WhenAsync(Func<bool> condition, CancellationToken ct)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition()) return Task.CompletedTask;
            _waiters.Add((condition, signal));
        }
        return signal.Task.WaitAsync(ct);
    }

    private void Signal(bool failed = false)
    {
        List<TaskCompletionSource> done = [];
        lock (_gate)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (!failed && !_waiters[i].Condition()) continue;
                done.Add(_waiters[i].Signal);
                _waiters.RemoveAt(i);
            }
        }
        var failure = _writers.FirstOrDefault(w => w.Failure is not null)?.Failure;
        foreach (var signal in done)
        {
            if (failure is null) signal.TrySetResult();
            else signal.TrySetException(new InvalidOperationException($"a writer failed: {failure.Message}", failure));
        }
    }

    /// <summary>One session's writes.</summary>
    public sealed class Writer(int index, ReconnectingSession session, string directory)
    {
        private readonly List<(string Path, long Sent, long Answered)> _acked = [];
        private int _appliedWithoutReply;

        public int Index { get; } = index;

        public ReconnectingSession Session { get; } = session;

        /// <summary><c>root/wN</c>: this writer's keys are its children.</summary>
        public string Directory { get; } = directory;

        /// <summary>Keys k000000 .. k(KeysWritten-1) are in the tree (acknowledged or applied with the reply lost).</summary>
        public int KeysWritten { get; set; }

        public Exception? Failure { get; set; }

        public int AppliedWithoutReply => Volatile.Read(ref _appliedWithoutReply);

        public int AckedCount
        {
            get
            {
                lock (_acked) return _acked.Count;
            }
        }

        public IReadOnlyList<string> AckedPaths
        {
            get
            {
                lock (_acked) return _acked.Select(a => a.Path).ToList();
            }
        }

        internal IReadOnlyList<(string Path, long Sent, long Answered)> AckedSnapshot()
        {
            lock (_acked) return [.. _acked];
        }

        internal void RecordAck(string path, long sent, long answered)
        {
            lock (_acked) _acked.Add((path, sent, answered));
        }

        internal void RecordAppliedWithoutReply() => Interlocked.Increment(ref _appliedWithoutReply);
    }
}
