using ZkCompat.Protocol;

namespace ZkCompat.Tests.Protocol;

public class PathValidationTests
{
    // Valid paths, as Java's PathUtils.validatePath accepts them.
    [TestCase("/")]
    [TestCase("/a")]
    [TestCase("/a/b/c")]
    [TestCase("/zookeeper/quota")]
    [TestCase("/a.b")]
    [TestCase("/.a")]
    [TestCase("/a/...")]
    [TestCase("/a/..b")]
    [TestCase("/é€日本")]
    public void Accepts(string path) => Assert.That(PathValidation.Validate(path), Is.Null);

    [TestCase(null, "Path cannot be null")]
    [TestCase("", "Path length must be > 0")]
    [TestCase("a", "Path must start with / character")]
    [TestCase("a/b", "Path must start with / character")]
    [TestCase("/a/", "Path must not end with / character")]
    [TestCase("//a", "empty node name specified @1")]
    [TestCase("/a//b", "empty node name specified @3")]
    [TestCase("/.", "relative paths not allowed @1")]
    [TestCase("/..", "relative paths not allowed @2")]
    [TestCase("/a/./b", "relative paths not allowed @3")]
    [TestCase("/a/../b", "relative paths not allowed @4")]
    [TestCase("/a\u0000b", "null character not allowed @2")]
    [TestCase("/a\u0001", "invalid character @2")]
    [TestCase("/a\u007f", "invalid character @2")]
    [TestCase("/a\u009f", "invalid character @2")]
    [TestCase("/a\ud83d\ude00", "invalid character @2")]
    [TestCase("/a\ue000", "invalid character @2")]
    [TestCase("/a\ufff0", "invalid character @2")]
    public void Rejects(string? path, string reason) =>
        Assert.That(PathValidation.Validate(path), Does.EndWith(reason));

    [Test]
    public void Sequential_paths_may_end_with_a_slash()
    {
        Assert.That(PathValidation.Validate("/a/", isSequential: true), Is.Null);
        Assert.That(PathValidation.Validate("/a//", isSequential: true), Is.Not.Null);
    }

    [TestCase("/a", "/")]
    [TestCase("/a/b", "/a")]
    [TestCase("/a/b/c", "/a/b")]
    public void Parent(string path, string parent) => Assert.That(PathValidation.Parent(path), Is.EqualTo(parent));
}
