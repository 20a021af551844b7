using System.Text;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// Several clients pipelining creates and setData until their connection dies, each write recorded
/// before it is sent and marked once its OK reply arrives. Every value names its node and its place
/// in that node's history (<c>path#n</c>, version n), so a tree read later says exactly which writes
/// it holds. <see cref="Verify"/> then checks that a restored tree holds every acknowledged write,
/// nothing that was never sent, and of each client's writes a prefix, as ZooKeeper's per-session
/// order and a log that is cut, never holed, imply.
/// </summary>
internal sealed class WriteLoad(string root, int inFlightPerWriter)
{
    private readonly List<Writer> _writers = [];
    private readonly Lock _gate = new();
    private (int Count, TaskCompletionSource Signal)? _waiter;
    private int _acked;

    /// <summary>Writes answered OK so far.</summary>
    public int Acked => Volatile.Read(ref _acked);

    public int Sent
    {
        get
        {
            lock (_writers) return _writers.Sum(w => w.Ops.Count);
        }
    }

    /// <summary>Completes once <paramref name="count"/> writes in all were acknowledged.</summary>
    public Task AckedAtLeastAsync(int count, CancellationToken ct)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (Acked >= count) return Task.CompletedTask;
            _waiter = (count, signal);
        }
        return signal.Task.WaitAsync(ct);
    }

    /// <summary>Writes through <paramref name="client"/> until its connection is lost; returns the writes that failed otherwise.</summary>
    public async Task<IReadOnlyList<string>> RunAsync(ZooKeeperClient client, CancellationToken ct)
    {
        Writer writer;
        lock (_writers)
        {
            writer = new Writer(_writers.Count);
            _writers.Add(writer);
        }
        var window = new SemaphoreSlim(inFlightPerWriter);
        var replies = new List<Task>();
        var created = new List<string>();
        for (int k = 0; !writer.ConnectionLost; k++)
        {
            await window.WaitAsync(ct);
            SentWrite write;
            Task reply;
            if (k % 3 == 0)
            {
                string path = $"{root}/w{writer.Index}-{k:D6}";
                write = writer.Record(path);
                created.Add(path);
                reply = client.CreateAsync(path, write.Value, Acls.OpenAclUnsafe, ct: ct);
            }
            else
            {
                // Knuth's multiplier scatters the updates over the nodes created so far.
                string path = created[(int)((uint)(k * 2654435761u) % (uint)created.Count)];
                write = writer.Record(path);
                reply = client.SetDataAsync(path, write.Value, ct: ct);
            }
            replies.Add(Observe(reply, write, writer, window));
        }
        await Task.WhenAll(replies);
        return writer.Failures;
    }

    private async Task Observe(Task reply, SentWrite write, Writer writer, SemaphoreSlim window)
    {
        try
        {
            await reply;
            write.Acked = true;
            int acked = Interlocked.Increment(ref _acked);
            lock (_gate)
            {
                if (_waiter is { } waiter && acked >= waiter.Count)
                {
                    _waiter = null;
                    waiter.Signal.TrySetResult();
                }
            }
        }
        catch (KeeperException e) when (e.Code == ErrorCode.ConnectionLoss)
        {
            writer.ConnectionLost = true;
        }
        catch (KeeperException e)
        {
            lock (writer.Failures) writer.Failures.Add($"{write.Path}#{write.Index}: {e.Code}");
        }
        finally
        {
            window.Release();
        }
    }

    /// <summary>Everything a tree restored after the crash gets wrong, one line each; empty when it is right.</summary>
    public IReadOnlyList<string> Verify(TreeView view)
    {
        var problems = new List<string>();
        var restored = Restored(view, problems);
        foreach (var writer in _writers)
        {
            // Write j is present when its node holds value #index or a later one.
            int firstMissing = -1;
            for (int j = 0; j < writer.Ops.Count; j++)
            {
                var op = writer.Ops[j];
                bool present = IsPresent(restored, op);
                if (!present && firstMissing < 0) firstMissing = j;
                if (!present && op.Acked) problems.Add($"acknowledged write lost: {op.Path}#{op.Index} (writer {writer.Index}, write {j})");
                if (present && firstMissing >= 0)
                {
                    var missing = writer.Ops[firstMissing];
                    problems.Add($"writer {writer.Index}: write {j} ({op.Path}#{op.Index}) is present but earlier write {firstMissing} ({missing.Path}#{missing.Index}) is not");
                    break;
                }
            }
        }
        return problems;
    }

    /// <summary>Writes never acknowledged that the restored tree holds anyway: logged, their replies lost in the crash.</summary>
    public int PresentUnacknowledged(TreeView view)
    {
        var restored = Restored(view, []);
        return _writers.Sum(w => w.Ops.Count(op => !op.Acked && IsPresent(restored, op)));
    }

    private static bool IsPresent(Dictionary<string, int> restored, SentWrite op) =>
        restored.TryGetValue(op.Path, out int index) && index >= op.Index;

    /// <summary>Path → which of its values the tree holds; a node holding anything never sent is a problem.</summary>
    private Dictionary<string, int> Restored(TreeView view, List<string> problems)
    {
        var sentValues = _writers.SelectMany(w => w.History).ToDictionary(kv => kv.Key, kv => kv.Value.Count, StringComparer.Ordinal);
        var restored = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (path, data) in view.Data)
        {
            if (!path.StartsWith(root + "/", StringComparison.Ordinal)) continue;
            if (!sentValues.TryGetValue(path, out int sent))
            {
                problems.Add($"{path} exists but was never sent");
                continue;
            }
            int index = ParseIndex(path, data);
            var stat = view.Stats[path];
            if (index < 0 || index >= sent) problems.Add($"{path} holds '{Show(data)}', which was never sent to it");
            else if (!data!.AsSpan().SequenceEqual(Value(path, index))) problems.Add($"{path} holds a corrupt value '{Show(data)}'");
            else if (stat.Version != index) problems.Add($"{path} holds value #{index} at version {stat.Version}");
            else restored[path] = index;
        }
        return restored;
    }

    /// <summary>Per writer: writes sent and acknowledged.</summary>
    public string Summary() => string.Join("; ", _writers.Select(w =>
        $"writer {w.Index}: {w.Ops.Count} sent, {w.Ops.Count(o => o.Acked)} acked"));

    public static byte[] Value(string path, int index)
    {
        // Padded so that records vary in size and a batch spans several pages.
        string text = $"{path}#{index}|" + new string('x', (index * 37 + path.Length) % 160);
        return Encoding.UTF8.GetBytes(text);
    }

    private static int ParseIndex(string path, byte[]? data)
    {
        if (data is null) return -1;
        string text = Encoding.UTF8.GetString(data);
        int bar = text.IndexOf('|', StringComparison.Ordinal);
        string prefix = path + "#";
        if (bar < 0 || !text.StartsWith(prefix, StringComparison.Ordinal)) return -1;
        return int.TryParse(text.AsSpan(prefix.Length, bar - prefix.Length), out int index) ? index : -1;
    }

    private static string Show(byte[]? data) => data is null ? "null" : Encoding.UTF8.GetString(data);

    private sealed class SentWrite(string path, int index)
    {
        public string Path { get; } = path;

        /// <summary>The place of this value in its node's history: 0 for the create, n for the n-th setData.</summary>
        public int Index { get; } = index;

        public byte[] Value => WriteLoad.Value(Path, Index);

        private volatile bool _acked;

        public bool Acked
        {
            get => _acked;
            set => _acked = value;
        }
    }

    private sealed class Writer(int index)
    {
        public int Index { get; } = index;

        /// <summary>Every write in the order it was handed to the client.</summary>
        public List<SentWrite> Ops { get; } = [];

        /// <summary>Path → the values sent to it, in order.</summary>
        public Dictionary<string, List<SentWrite>> History { get; } = new(StringComparer.Ordinal);

        public List<string> Failures { get; } = [];

        private volatile bool _connectionLost;

        public bool ConnectionLost
        {
            get => _connectionLost;
            set => _connectionLost = value;
        }

        public SentWrite Record(string path)
        {
            if (!History.TryGetValue(path, out var history)) History[path] = history = [];
            var write = new SentWrite(path, history.Count);
            history.Add(write);
            Ops.Add(write);
            return write;
        }
    }
}
