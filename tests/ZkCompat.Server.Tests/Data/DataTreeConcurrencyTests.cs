using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Data;
using ZkCompat.Server.Tests.Watches;

namespace ZkCompat.Server.Tests.Data;

/// <summary>One thread applies txns while others read, as the server does with reads that skip the pipeline.</summary>
[TestFixture]
public class DataTreeConcurrencyTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task Reads_from_other_threads_run_safely_alongside_the_writer()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        using var stop = new CancellationTokenSource();
        const int Creates = 2000;

        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var watcher = new RecordingWatcher();
            long reads = 0;
            while (!stop.IsCancellationRequested)
            {
                var stat = new Stat();
                var children = tree.GetChildren("/p", stat, null);
                // Copied under one lock, so the list and the stat agree.
                Assert.That(stat.NumChildren, Is.EqualTo(children.Count));
                foreach (var name in children.Take(20))
                {
                    try
                    {
                        tree.GetData("/p/" + name, new Stat(), watcher);
                    }
                    catch (KeeperException e) when (e.Code == ErrorCode.NoNode)
                    {
                        // Deleted since the listing.
                    }
                }
                _ = tree.NodeCount + tree.GetAllChildrenNumber("/p") + tree.EphemeralsCount;
                reads++;
            }
            return reads;
        })).ToArray();

        await Task.Run(() =>
        {
            long zxid = 1;
            for (int i = 0; i < Creates; i++)
            {
                string path = "/p/n" + i;
                tree.Create(path, ++zxid, session: 7, ephemeral: i % 3 == 0);
                tree.SetData(path, [1], ++zxid);
                if (i % 2 == 0) tree.Delete(path, ++zxid);
            }
        });
        await stop.CancelAsync();
        var reads = await Task.WhenAll(readers);

        Assert.That(reads, Has.All.GreaterThan(0));
        var final = tree.StatOf("/p");
        Assert.That(final.NumChildren, Is.EqualTo(Creates / 2));
        Assert.That(final.Cversion, Is.EqualTo(2 * Creates - Creates / 2));
        Assert.That(tree.NodeCount, Is.EqualTo(6 + Creates / 2));
    }
}
