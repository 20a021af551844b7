using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using ZkCompat.Client;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;
using ZkCompat.Server.Data;
using ZkCompat.Server.Processors;
using ZkCompat.Server.Tests.Protocol;
using static ZkCompat.Server.Tests.Data.TreeTxns;

namespace ZkCompat.Server.Tests.Data;

/// <summary>
/// Quotas as Java 3.8.0 keeps them: StatsTrack text, the quota path trie, the zookeeper_stats
/// bookkeeping of the tree, and enforcement in the prep stage. Expected values marked [java] were
/// printed by Java 3.8.0's own StatsTrack, PathTrie and DataTree for the same input.
/// </summary>
[TestFixture]
public class QuotaTests
{
    private const string ZkCliLimits = "count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=-1";

    // ---- StatsTrack ------------------------------------------------------------------------

    // [java] all rows.
    [TestCase("", "count=-1,bytes=-1")]
    [TestCase("count=4,bytes=5", "count=4,bytes=5")]
    [TestCase("count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=-1", "count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=-1")]
    [TestCase("bytes=7;count=2", "count=2,bytes=7")]
    [TestCase("count=1,bytes=2,zeta=3,alpha=4", "count=1,bytes=2=;alpha=4;zeta=3")]
    [TestCase("Count=1,bytes=2", "count=-1,bytes=2=;Count=1")]
    [TestCase("count=1,,;;bytes=2", "count=1,bytes=2")]
    [TestCase("count=1,bytes=2,;", "count=1,bytes=2")]
    [TestCase(",,,", "count=-1,bytes=-1")]
    [TestCase("count=+5", "count=5,bytes=-1")]
    [TestCase("count=-0", "count=0,bytes=-1")]
    [TestCase("count=1,count=2", "count=2,bytes=-1")]
    [TestCase("count=1=9", "count=1,bytes=-1")]
    [TestCase("count==5", "count=-1,bytes=-1")]
    [TestCase("=5", "count=-1,bytes=-1=;=5")]
    [TestCase("countHardLimit=3", "count=-1,bytes=-1=;countHardLimit=3")]
    public void StatsTrack_reads_and_writes_text_like_java(string input, string expected)
    {
        Assert.That(StatsTrack.Parse(input).ToString(), Is.EqualTo(expected));
        Assert.That(StatsTrack.Parse(Encoding.UTF8.GetBytes(input)).ToBytes(), Is.EqualTo(Encoding.UTF8.GetBytes(expected)));
    }

    // [java] each of these throws (ArrayIndexOutOfBounds or NumberFormat).
    [TestCase("count")]
    [TestCase("count=,bytes=5")]
    [TestCase("bytes=")]
    [TestCase(",count=1")]
    [TestCase(";count=1")]
    [TestCase("=")]
    [TestCase("count=x")]
    [TestCase("count= 1")]
    [TestCase("count=1.5")]
    [TestCase("count=99999999999999999999")]
    public void StatsTrack_rejects_what_java_cannot_parse(string input)
    {
        Assert.Throws<FormatException>(() => StatsTrack.Parse(input));
        Assert.That(StatsTrack.TryParse(Encoding.UTF8.GetBytes(input), out _), Is.False);
    }

    [Test]
    public void StatsTrack_as_zkCli_setquota_writes_it()
    {
        var quota = new StatsTrack { Count = -1, Bytes = -1, CountHardLimit = -1, ByteHardLimit = -1 };
        quota.Count = 3;

        Assert.That(quota.ToString(), Is.EqualTo("count=3,bytes=-1=;byteHardLimit=-1;countHardLimit=-1"));
        Assert.That((quota.Count, quota.Bytes, quota.CountHardLimit, quota.ByteHardLimit), Is.EqualTo((3L, -1L, -1L, -1L)));
        Assert.That(new StatsTrack { Count = 0, Bytes = 0 }.ToString(), Is.EqualTo("count=0,bytes=0"));
    }

    // ---- PathTrie --------------------------------------------------------------------------

    // [java] trie holding /a, /a/b/c, "/x/ /y" and "/ z" (blank components are dropped, others kept as they are).
    [TestCase("/a", "/a")]
    [TestCase("/a/b", "/a")]
    [TestCase("/a/b/c", "/a/b/c")]
    [TestCase("/a/b/c/d", "/a/b/c")]
    [TestCase("/ab", "/")]
    [TestCase("/x", "/")]
    [TestCase("/x/y", "/x/y")]
    [TestCase("/x/y/z", "/x/y")]
    [TestCase("/ z/1", "/ z")]
    [TestCase("/z", "/")]
    [TestCase("/", "/")]
    [TestCase("", "/")]
    [TestCase("a/b/c", "/a/b/c")]
    [TestCase("//a//b/c", "/a/b/c")]
    public void PathTrie_finds_the_deepest_marked_prefix(string path, string expected)
    {
        var trie = new PathTrie();
        foreach (string marked in new[] { "/a", "/a/b/c", "/x/ /y", "/ z" }) trie.AddPath(marked);

        Assert.That(trie.FindMaxPrefix(path), Is.EqualTo(expected));
    }

    [Test]
    public void PathTrie_delete_unmarks_and_drops_only_leaves()
    {
        var trie = new PathTrie();
        trie.AddPath("/a");
        trie.AddPath("/a/b/c");

        trie.DeletePath("/a");
        Assert.That((trie.FindMaxPrefix("/a/b/c/d"), trie.FindMaxPrefix("/a/b"), trie.ExistsNode("/a")), Is.EqualTo(("/a/b/c", "/", true)));

        trie.DeletePath("/a/b/c");
        trie.DeletePath("/missing/path");
        // [java] the emptied /a/b stays: only the deleted node itself is dropped.
        Assert.That((trie.FindMaxPrefix("/a/b/c/d"), trie.ExistsNode("/a/b/c"), trie.ExistsNode("/a/b")), Is.EqualTo(("/", false, true)));
        Assert.Throws<ArgumentException>(() => trie.AddPath(""));
    }

    // ---- the tree keeps zookeeper_stats ----------------------------------------------------

    /// <summary>A tree with /q (empty) and a zkCli-made quota on it; each row then runs its operations.</summary>
    public static IEnumerable<TestCaseData> SubtreeChanges()
    {
        yield return Row("nothing else", "count=1,bytes=0");
        yield return Row("create a child", "count=2,bytes=5", "create /q/a 12345");
        yield return Row("create a grandchild", "count=3,bytes=7", "create /q/a 12345", "create /q/a/b xy");
        yield return Row("set the quota'd node itself", "count=1,bytes=3", "set /q abc");
        yield return Row("grow a child", "count=2,bytes=8", "create /q/a 12345", "set /q/a 12345678");
        yield return Row("shrink a child", "count=2,bytes=1", "create /q/a 12345", "set /q/a 1");
        yield return Row("delete a child", "count=2,bytes=2", "create /q/a 12345", "create /q/b xy", "delete /q/a");
        yield return Row("sibling sharing the name prefix", "count=1,bytes=0", "create /qq 123", "create /qq/a 1");
        yield return Row("elsewhere", "count=1,bytes=0", "create /other 123", "set /other 12345");
        yield return Row("ephemeral closed with its session", "count=2,bytes=1",
            "create /q/a 1", "create /q/e 1234 ephemeral", "close");

        static TestCaseData Row(string name, string expected, params string[] ops) =>
            new TestCaseData(ops, expected).SetName("Stats_follow_the_subtree: " + name);
    }

    [TestCaseSource(nameof(SubtreeChanges))]
    public void Stats_follow_the_subtree(string[] ops, string expected)
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.SetQuota("/q", "count=10,bytes=-1");

        foreach (string op in ops) t.Run(op);

        Assert.That(t.Stats("/q"), Is.EqualTo(expected));
    }

    [Test]
    public void Creating_the_stats_node_recounts_the_subtree_whatever_the_client_wrote()
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.Create("/q/a", "12345");
        t.Create(Quotas.QuotaPath("/q"));
        t.Create(Quotas.LimitPath("/q"), "count=3,bytes=-1");
        Assert.That(t.Tree.GetMaxPrefixWithQuota("/q/a"), Is.EqualTo("/q"), "the limits node alone marks the path");

        t.Create(Quotas.StatPath("/q"), "count=100,bytes=100,extra=1");

        Assert.That(t.Stats("/q"), Is.EqualTo("count=2,bytes=5"));
    }

    [Test]
    public void Stats_node_right_under_the_quota_node_counts_the_whole_tree()
    {
        // [java] same steps on Java 3.8.0's DataTree print count=11,bytes=39.
        var t = new QuotaTree();
        t.Create("/q");
        t.Create("/q/a", "12345");
        t.Create("/zookeeper/quota/q");
        t.Create("/zookeeper/quota/q/zookeeper_limits", "count=3,bytes=-1");
        t.Create("/zookeeper/quota/q/zookeeper_stats", "count=0,bytes=0");
        t.Create("/q/b", "xy");
        Assert.That(t.Stats("/q"), Is.EqualTo("count=3,bytes=7"));

        t.Create("/zookeeper/quota/zookeeper_stats", "x");

        Assert.That(t.Data("/zookeeper/quota/zookeeper_stats"), Is.EqualTo("count=11,bytes=39"));
    }

    // Quotas on /q and /q/a/b: a change is counted only in its deepest quota'd prefix.
    [TestCase("/q/x", "count=4,bytes=2", "count=1,bytes=0")]
    [TestCase("/q/a/x", "count=4,bytes=2", "count=1,bytes=0")]
    [TestCase("/q/a/b/x", "count=3,bytes=0", "count=2,bytes=2")]
    [TestCase("/q/a/b/x/y", "count=3,bytes=0", "count=3,bytes=4", "/q/a/b/x")]
    [TestCase("/q/a/bb", "count=4,bytes=2", "count=1,bytes=0")]
    public void Nested_quotas_count_in_the_longest_prefix(string path, string expectedQ, string expectedQab, string? alsoCreate = null)
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.Create("/q/a");
        t.Create("/q/a/b");
        t.SetQuota("/q", "count=10,bytes=-1");
        t.SetQuota("/q/a/b", "count=10,bytes=-1");
        Assert.That(t.Stats("/q"), Is.EqualTo("count=3,bytes=0"), "the outer recount includes the inner subtree");

        if (alsoCreate is not null) t.Create(alsoCreate, "ab");
        t.Create(path, "ab");

        Assert.That((t.Stats("/q"), t.Stats("/q/a/b")), Is.EqualTo((expectedQ, expectedQab)));
        Assert.That(t.Tree.GetMaxPrefixWithQuota(path), Is.EqualTo(path.StartsWith("/q/a/b/") ? "/q/a/b" : "/q"));
    }

    [Test]
    public void Deleting_the_limits_node_ends_the_quota()
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.SetQuota("/q", "count=10,bytes=-1");
        t.Create("/q/a", "1");

        t.Run("delete " + Quotas.LimitPath("/q"));
        t.Create("/q/b", "22");
        t.Run("delete /q/a");

        Assert.That(t.Tree.GetMaxPrefixWithQuota("/q/b"), Is.Null);
        Assert.That(t.Stats("/q"), Is.EqualTo("count=2,bytes=1"), "left as it was when the quota ended");
    }

    [TestCase("delete /zookeeper/quota/q/zookeeper_stats", "the stats node is gone")]
    [TestCase("set /zookeeper/quota/q/zookeeper_stats count=abc", "the stats text is unreadable")]
    public void Changes_under_a_quota_without_usable_stats_are_applied_all_the_same(string breakStats, string why)
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.SetQuota("/q", "count=10,bytes=-1");
        t.Run(breakStats);

        var rc = t.Tree.Create("/q/a", t.NextZxid(), [1, 2]);

        Assert.That(rc.Err, Is.EqualTo(0), why);
        Assert.That(t.Tree.GetNode("/q/a"), Is.Not.Null);
    }

    [Test]
    public void Quota_on_the_root_or_a_limits_node_right_under_the_quota_node_is_never_kept()
    {
        var t = new QuotaTree();
        t.Create("/zookeeper/quota/zookeeper_limits", "count=1,bytes=-1");
        t.Create("/a");

        Assert.That(t.Tree.GetMaxPrefixWithQuota("/a"), Is.Null);
        Assert.That(t.Tree.GetNode("/zookeeper/quota/zookeeper_limits"), Is.Not.Null, "the node itself is created");
    }

    [Test]
    public void Snapshot_load_rebuilds_the_trie_and_recounts_the_stats()
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.Create("/q/a", "12345");
        t.SetQuota("/q", "count=10,bytes=-1");
        t.Create("/r");
        t.SetQuota("/r", "count=10,bytes=-1");
        t.Run("set " + Quotas.StatPath("/q") + " count=100,bytes=100");
        long sizeBefore = t.Tree.CachedApproximateDataSize;

        var loaded = new QuotaTree(Reload(t.Tree));

        Assert.That((loaded.Stats("/q"), loaded.Stats("/r")), Is.EqualTo(("count=2,bytes=5", "count=1,bytes=0")));
        Assert.That(loaded.Tree.CachedApproximateDataSize, Is.EqualTo(sizeBefore), "measured before the recount, as in Java");
        loaded.Create("/q/b", "xy");
        Assert.That(loaded.Stats("/q"), Is.EqualTo("count=3,bytes=7"));
    }

    // ---- enforcement in prep ---------------------------------------------------------------

    // /q holds /q/a ("12345"): stats count=2,bytes=5. Rows: limits, write, enforce ⇒ refused?, warnings.
    [TestCase("countHardLimit=2", "create /q/b", true, true, 1)]
    [TestCase("countHardLimit=3", "create /q/b", true, false, 0)]
    [TestCase("countHardLimit=2", "create /q/b", false, false, 0)]
    [TestCase("count=2", "create /q/b", true, false, 1)]
    [TestCase("count=1;countHardLimit=5", "create /q/b", true, false, 0)]
    [TestCase("countHardLimit=2", "set /q/a 1234567", true, false, 0)]
    [TestCase("byteHardLimit=6", "create /q/b 12", true, true, 1)]
    [TestCase("byteHardLimit=7", "create /q/b 12", true, false, 0)]
    [TestCase("byteHardLimit=5", "create /q/b", true, false, 0)]
    [TestCase("byteHardLimit=6", "set /q/a 1234567", true, true, 1)]
    [TestCase("byteHardLimit=3", "set /q/a 1", true, false, 0)]
    [TestCase("bytes=6", "set /q/a 1234567", true, false, 1)]
    [TestCase("bytes=6", "set /q/a 1234567", false, false, 0)]
    [TestCase("countHardLimit=2;byteHardLimit=1", "create /other 12", true, false, 0)]
    [TestCase("count=2;bytes=5", "create /q/b 1", true, false, 2)]
    public void Hard_limits_refuse_only_with_enforcement_and_soft_limits_only_warn(
        string limits, string write, bool enforce, bool refused, int warnings)
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.Create("/q/a", "12345");
        t.SetQuota("/q", limits);
        var log = new ListLogger();
        var options = new ServerOptions { EnforceQuota = enforce };
        var (op, path, data) = QuotaTree.ParseWrite(write);
        byte[]? lastData = op == OpCode.SetData ? t.Tree.GetNode(path)!.Data : null;

        void Check() => QuotaChecker.CheckQuota(t.Tree, options, path, lastData, data, op, log);

        if (refused)
        {
            var e = Assert.Throws<KeeperException>(Check);
            Assert.That((e!.Code, e.Path), Is.EqualTo((ErrorCode.QuotaExceeded, "/q")), "Java names the quota'd path");
        }
        else
        {
            Assert.DoesNotThrow(Check);
        }
        Assert.That(log.Warnings, Has.Count.EqualTo(warnings), string.Join("\n", log.Warnings));
        Assert.That(log.Warnings, Has.All.StartWith("Quota exceeded: /q [current "));
    }

    [TestCase("count=abc", typeof(InvalidOperationException))]
    [TestCase("countHardLimit=", typeof(InvalidOperationException))]
    public void Unreadable_limits_fail_the_request_like_javas_marshalling_error(string limits, Type expected)
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.SetQuota("/q", "count=1");
        t.Run("set " + Quotas.LimitPath("/q") + " " + limits);

        Assert.Throws(expected, () => QuotaChecker.CheckQuota(t.Tree, new ServerOptions { EnforceQuota = true }, "/q/a", null, [1],
            OpCode.Create, new ListLogger()));
    }

    [Test]
    public void Missing_stats_node_lets_the_write_through()
    {
        var t = new QuotaTree();
        t.Create("/q");
        t.SetQuota("/q", "countHardLimit=1");
        t.Run("delete " + Quotas.StatPath("/q"));

        Assert.DoesNotThrow(() => QuotaChecker.CheckQuota(t.Tree, new ServerOptions { EnforceQuota = true }, "/q/a", null, null,
            OpCode.Create, new ListLogger()));
    }

    [TestCase(true, ErrorCode.QuotaExceeded)]
    [TestCase(false, ErrorCode.Ok)]
    public async Task Server_answers_quota_exceeded_for_create_and_setData(bool enforce, ErrorCode expected)
    {
        await using var server = InProcessServer.Start(new ServerOptions { TickTime = 2000, ClientPortAddress = "127.0.0.1", EnforceQuota = enforce });
        await using var client = await server.ConnectAsync();
        List<ACL> open = [new ACL((int)Perms.All, new Id("world", "anyone"))];
        await client.CreateAsync("/q", null, open);
        await client.CreateAsync("/q/a", null, open);
        await client.CreateAsync("/zookeeper/quota/q", null, open);
        await client.CreateAsync(Quotas.LimitPath("/q"), Encoding.UTF8.GetBytes("count=-1,bytes=-1=;byteHardLimit=4;countHardLimit=2"), open);
        await client.CreateAsync(Quotas.StatPath("/q"), Encoding.UTF8.GetBytes("count=0,bytes=0"), open);

        var create = await ErrorOf(() => client.CreateAsync("/q/b", null, open));
        var setData = await ErrorOf(() => client.SetDataAsync("/q/a", [1, 2, 3, 4, 5]));

        Assert.That((create, setData), Is.EqualTo((expected, expected)));
        var (stats, _) = await client.GetDataAsync(Quotas.StatPath("/q"));
        Assert.That(Encoding.UTF8.GetString(stats!), Is.EqualTo(enforce ? "count=2,bytes=0" : "count=3,bytes=5"));
    }

    private static async Task<ErrorCode> ErrorOf(Func<Task> write)
    {
        try
        {
            await write();
            return ErrorCode.Ok;
        }
        catch (KeeperException e)
        {
            return e.Code;
        }
    }

    private static DataTree Reload(DataTree tree)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new JuteWriter(output);
        tree.Serialize(ref writer);
        writer.Flush();
        var loaded = new DataTree();
        var reader = new JuteReader(output.WrittenSpan.ToArray());
        loaded.Deserialize(ref reader);
        return loaded;
    }

    /// <summary>A tree driven by zkCli-like one-line commands, with its own zxid counter.</summary>
    private sealed class QuotaTree(DataTree? tree = null)
    {
        private const long Session = 0x42;
        private long _zxid = 1000;

        public DataTree Tree { get; } = tree ?? new DataTree();

        public long NextZxid() => ++_zxid;

        public void Create(string path, string? data = null, bool ephemeral = false)
        {
            var rc = Tree.Create(path, NextZxid(), data is null ? [] : Encoding.UTF8.GetBytes(data), session: Session, ephemeral: ephemeral);
            Assert.That(rc.Err, Is.EqualTo(0), "create " + path);
        }

        /// <summary>What zkCli's setquota writes: the quota path's nodes, the limits, then zeroed stats.</summary>
        public void SetQuota(string path, string limits)
        {
            string quotaPath = SpecialPaths.Quota;
            foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                quotaPath += "/" + part;
                if (Tree.GetNode(quotaPath) is null) Create(quotaPath);
            }
            Create(Quotas.LimitPath(path), limits);
            Create(Quotas.StatPath(path), "count=0,bytes=0");
        }

        public string Stats(string path) => Data(Quotas.StatPath(path));

        public string Data(string path) => Encoding.UTF8.GetString(Tree.GetNode(path)?.Data ?? throw new AssertionException("no node " + path));

        /// <summary>"create path [data] [ephemeral]", "set path data", "delete path" or "close" (the session).</summary>
        public void Run(string command)
        {
            var words = command.Split(' ');
            switch (words[0])
            {
                case "create":
                    Create(words[1], words.Length > 2 ? words[2] : null, ephemeral: words.Length > 3 && words[3] == "ephemeral");
                    break;
                case "set":
                    Assert.That(Tree.SetData(words[1], Encoding.UTF8.GetBytes(words[2]), NextZxid()).Err, Is.EqualTo(0), command);
                    break;
                case "delete":
                    Assert.That(Tree.Delete(words[1], NextZxid()).Err, Is.EqualTo(0), command);
                    break;
                case "close":
                    Tree.CloseSession(Session, NextZxid());
                    break;
                default:
                    throw new ArgumentException("unknown command " + command);
            }
        }

        public static (OpCode Op, string Path, byte[]? Data) ParseWrite(string write)
        {
            var words = write.Split(' ');
            var op = words[0] == "create" ? OpCode.Create : OpCode.SetData;
            return (op, words[1], words.Length > 2 ? Encoding.UTF8.GetBytes(words[2]) : null);
        }
    }

    /// <summary>Keeps the warnings the quota check logs.</summary>
    private sealed class ListLogger : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning) Warnings.Add(formatter(state, exception));
        }
    }
}
