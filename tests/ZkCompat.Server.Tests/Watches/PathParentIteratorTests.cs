using NUnit.Framework;
using ZkCompat.Server.Watches;

namespace ZkCompat.Server.Tests.Watches;

[TestFixture]
public class PathParentIteratorTests
{
    [TestCase("/", new[] { "/" })]
    [TestCase("/a", new[] { "/a", "/" })]
    [TestCase("/a/b/c", new[] { "/a/b/c", "/a/b", "/a", "/" })]
    [TestCase("/zookeeper/quota", new[] { "/zookeeper/quota", "/zookeeper", "/" })]
    public void Walks_the_path_then_each_ancestor_up_to_root(string path, string[] expected)
    {
        Assert.That(Walk(path, pathOnly: false), Is.EqualTo(expected.Select((p, i) => (p, i > 0))));
    }

    [TestCase("/")]
    [TestCase("/a/b")]
    public void Path_only_stops_after_the_path(string path)
    {
        Assert.That(Walk(path, pathOnly: true), Is.EqualTo(new[] { (path, false) }));
    }

    private static List<(string Path, bool AtParent)> Walk(string path, bool pathOnly)
    {
        var result = new List<(string, bool)>();
        var it = new PathParentIterator(path, pathOnly);
        while (it.MoveNext()) result.Add((it.Current, it.AtParentPath));
        return result;
    }
}
