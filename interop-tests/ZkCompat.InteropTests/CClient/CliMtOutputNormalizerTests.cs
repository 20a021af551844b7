using NUnit.Framework;

namespace ZkCompat.InteropTests.CClient;

/// <summary>cli_mt's output normalisation and completion rules.</summary>
[TestFixture]
public class CliMtOutputNormalizerTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData(
            "> (session start)\nWatcher SESSION_EVENT state = CONNECTED_STATE\nGot a new session id: 0x100000ecb040000\n" +
            "> create2 +e /e\n[/e]: rc = 0\n\tname = /e\n\tctime = Wed Nov 25 13:21:15 2026\n\tczxid=5\n\tmtime=Wed Nov 25 13:21:15 2026\n\tmzxid=5\n" +
            "\tversion=0\taversion=0\n\tephemeralOwner = 100000ecb040000\n",
            "> (session start)\nWatcher SESSION_EVENT state = CONNECTED_STATE\nGot a new session id: 0x<session1>\n" +
            "> create2 +e /e\n[/e]: rc = 0\n\tname = /e\n\tctime = <time>\n\tczxid=<zxid1>\n\tmtime=<time>\n\tmzxid=<zxid1>\n" +
            "\tversion=0\taversion=0\n\tephemeralOwner = <session1>\n")
            .SetName("session id, zxids and times");
        yield return new TestCaseData(
            "> config\ntime = 1 msec\n/zookeeper/config: rc = 0\n\tctime = Thu Jan  1 00:00:00 1970\n\tczxid=0\n",
            "> config\n/zookeeper/config: rc = 0\n\tctime = Thu Jan  1 00:00:00 1970\n\tczxid=0\n")
            .SetName("elapsed time dropped, epoch and zero zxid kept");
        yield return new TestCaseData(
            "> ls /\ntime = 3 msec\n/: rc = 0\n\tzookeeper\n\tcc\ntime = 3 msec\n",
            "> ls /\n/: rc = 0\n\tcc\n\tzookeeper\n")
            .SetName("children sorted");
        yield return new TestCaseData(
            "> ls2 /cc\ntime = 3 msec\n/cc: rc = 0\n\tb\n\ta\ntime = 3 msec\n\tctime = Thu Jan  1 00:00:00 1970\n\tczxid=0\n",
            "> ls2 /cc\n/cc: rc = 0\n\ta\n\tb\n\tctime = Thu Jan  1 00:00:00 1970\n\tczxid=0\n")
            .SetName("ls2 children sorted, the stat after them untouched");
        yield return new TestCaseData(
            "> get /a\n2026-11-25 13:21:03,967:9876(0x7fbde28886c0):ZOO_WARN@zookeeper_interest@2561: Delaying connection\n/a: rc = 0\n",
            "> get /a\n/a: rc = 0\n")
            .SetName("C client log lines dropped");
    }

    [TestCaseSource(nameof(Cases))]
    public void Normalize(string transcript, string expected) =>
        Assert.That(CliMtOutputNormalizer.Normalize(transcript), Is.EqualTo(expected));

    [TestCase("create /a", new[] { "Creating [/a] node (mode: 0)", "[/a]: rc = 0" }, false)]
    [TestCase("create /a", new[] { "Creating [/a] node (mode: 0)", "[/a]: rc = 0", "\tname = /a" }, true)]
    [TestCase("create /a", new[] { "Creating [/a] node (mode: 0)", "[/a]: rc = -110" }, true)]
    [TestCase("get /a", new[] { "time = 1 msec", "/a: rc = 0", " value_len = 1", "x", "Stat:" }, false)]
    [TestCase("get /a", new[] { "/a: rc = 0", "Stat:", "\tversion=0\taversion=0", "\tephemeralOwner = 0" }, true)]
    [TestCase("get /a", new[] { "/a: rc = -101", "", "Stat:", "null" }, true)]
    [TestCase("ls /", new[] { "time = 1 msec", "/: rc = 0", "\ta" }, false)]
    [TestCase("ls /", new[] { "time = 1 msec", "/: rc = 0", "\ta", "time = 1 msec" }, true)]
    [TestCase("delete /a", new[] { "Watcher DELETED_EVENT state = CONNECTED_STATE for path /a" }, false)]
    [TestCase("delete /a", new[] { "Watcher DELETED_EVENT state = CONNECTED_STATE for path /a", "/a: rc = 0" }, true)]
    public void IsComplete(string command, string[] lines, bool complete) =>
        Assert.That(CliMtRunner.IsComplete(command, lines), Is.EqualTo(complete));
}
