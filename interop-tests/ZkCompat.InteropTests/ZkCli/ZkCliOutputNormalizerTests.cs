using NUnit.Framework;

namespace ZkCompat.InteropTests.ZkCli;

/// <summary>The normaliser hides only what differs by nature, and nothing a server decides.</summary>
[TestFixture]
public class ZkCliOutputNormalizerTests
{
    private static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData(
            "> stat /a\ncZxid = 0x1f\nctime = Wed Nov 25 13:20:05 UTC 2026\nmZxid = 0x20\nmtime = Wed Nov 25 13:20:06 UTC 2026\npZxid = 0x1f\nephemeralOwner = 0x0\n",
            "> stat /a\ncZxid = <zxid1>\nctime = <time>\nmZxid = <zxid2>\nmtime = <time>\npZxid = <zxid1>\nephemeralOwner = 0x0\n")
            .SetName("zxids are labelled by first appearance and equal zxids keep equal labels");
        yield return new TestCaseData(
            "> config -s\ncZxid = 0x0\nctime = Thu Jan 01 00:00:00 UTC 1970\n",
            "> config -s\ncZxid = 0x0\nctime = Thu Jan 01 00:00:00 UTC 1970\n")
            .SetName("zero zxid and the epoch are kept");
        yield return new TestCaseData(
            "> stat /e\nephemeralOwner = 0x100000db47a0000\n> stat /f\nephemeralOwner = 0x100000db47a0001\n> stat /g\nephemeralOwner = 0x100000db47a0000\n",
            "> stat /e\nephemeralOwner = <session1>\n> stat /f\nephemeralOwner = <session2>\n> stat /g\nephemeralOwner = <session1>\n")
            .SetName("session ids are labelled");
        yield return new TestCaseData(
            "> (session start)\nSLF4J: Failed to load class\nConnecting to 127.0.0.1:41234\n",
            "> (session start)\nConnecting to 127.0.0.1:<port>\n")
            .SetName("SLF4J noise is dropped and the port hidden");
        yield return new TestCaseData(
            "> getEphemerals\n[/modes/ephseq-0000000003, /modes/eph]\n> ls /modes\n[z, a]\n",
            "> getEphemerals\n[/modes/eph, /modes/ephseq-0000000003]\n> ls /modes\n[z, a]\n")
            .SetName("getEphemerals is sorted, ls output is left alone");
        yield return new TestCaseData(
            "> whoami\nAuth scheme: User\nip: 127.0.0.1\ndigest: alice\n> get /a\nzz\nip: 1\n",
            "> whoami\nAuth scheme: User\ndigest: alice\nip: 127.0.0.1\n> get /a\nzz\nip: 1\n")
            .SetName("whoami identities are sorted, other commands' lines are not");
        yield return new TestCaseData(
            "> get /a\nNode does not exist: /a\ncZxid = 0x5 trailing\n",
            "> get /a\nNode does not exist: /a\ncZxid = 0x5 trailing\n")
            .SetName("data that merely looks like a stat line is kept");
    }

    [TestCaseSource(nameof(Cases))]
    public void Normalize(string transcript, string expected) =>
        Assert.That(ZkCliOutputNormalizer.Normalize(transcript), Is.EqualTo(expected));

    [Test]
    public void SplitStep_MovesEventsAfterTheOutputAndDropsTheirBlankLines()
    {
        string[] raw = ["hello", "", "WATCHER::", "cZxid = 0x2", "", "WatchedEvent state:SyncConnected type:NodeDataChanged path:/a", "numChildren = 0"];

        ZkCliStepOutput step = ZkCliRunner.Split("get -w /a", raw, problem: null);

        Assert.Multiple(() =>
        {
            Assert.That(step.Output, Is.EqualTo(new[] { "hello", "cZxid = 0x2", "numChildren = 0" }));
            Assert.That(step.Events, Is.EqualTo(new[] { "WatchedEvent state:SyncConnected type:NodeDataChanged path:/a" }));
        });
    }

    [TestCase("set /a b", "set /a b", 0)]
    [TestCase("set /a b  # 1 event", "set /a b", 1)]
    [TestCase("delete /w/b # 2 events", "delete /w/b", 2)]
    [TestCase("create /x data#1", "create /x data#1", 0)]
    public void Parse_ReadsTheEventCount(string line, string command, int events)
    {
        ZkCliScript script = ZkCliScript.Parse("t", "# a comment\n\n" + line + "\n");

        Assert.That(script.Steps, Is.EqualTo(new[] { new ZkCliStep(command, events) }));
    }
}
