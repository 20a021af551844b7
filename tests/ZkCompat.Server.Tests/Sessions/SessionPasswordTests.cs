using NUnit.Framework;
using ZkCompat.Server.Sessions;

namespace ZkCompat.Server.Tests.Sessions;

public class SessionPasswordTests
{
    // Produced by Java 17: new java.util.Random(id ^ 0xB3415C00L).nextBytes(b) with b = new byte[16].
    // 0 and 0x0100000000000000 agree because Random keeps only the low 48 bits of the seed.
    [TestCase(0x0100000000000000L, "f22acd4a97e69d6d20a49bb638eadb38")]
    [TestCase(0x01896f3a5e0a0000L, "6412bddc21decb53e205cce3d2d52149")]
    [TestCase(-1L, "20f62cb5648dc2d771471c8a2486a9ee")]
    [TestCase(0L, "f22acd4a97e69d6d20a49bb638eadb38")]
    [TestCase(0xB3415C00L, "60b420bb3851d9d47acb933dbe70399b")]
    [TestCase(long.MaxValue, "20f62cb5648dc2d771471c8a2486a9ee")]
    [TestCase(unchecked((long)0x8000000000000001UL), "054cc74a37327db215e702e20c73f005")]
    public void GeneratePassword_matches_java_util_Random(long sessionId, string expectedHex)
    {
        Assert.That(Convert.ToHexStringLower(SessionTracker.GeneratePassword(sessionId)), Is.EqualTo(expectedHex));
    }

    [Test]
    public void CheckPassword_accepts_the_generated_password()
    {
        const long id = 0x01896f3a5e0a0000L;
        Assert.That(SessionTracker.CheckPassword(id, SessionTracker.GeneratePassword(id)), Is.True);
    }

    private static IEnumerable<TestCaseData> RejectedPasswords()
    {
        const long id = 0x01896f3a5e0a0000L;
        byte[] good = SessionTracker.GeneratePassword(id);
        byte[] flipped = (byte[])good.Clone();
        flipped[15] ^= 1;
        yield return new TestCaseData(id, null).SetName("null password");
        yield return new TestCaseData(id, new byte[16]).SetName("16 zero bytes (what a new client sends)");
        yield return new TestCaseData(id, good[..15]).SetName("one byte short");
        yield return new TestCaseData(id, good.Concat(new byte[] { 0 }).ToArray()).SetName("one byte long");
        yield return new TestCaseData(id, flipped).SetName("last bit flipped");
        yield return new TestCaseData(id + 1, good).SetName("another session's password");
        // Java's checkPasswd refuses session 0 even with its "right" password.
        yield return new TestCaseData(0L, SessionTracker.GeneratePassword(0)).SetName("session id 0");
    }

    [TestCaseSource(nameof(RejectedPasswords))]
    public void CheckPassword_rejects(long sessionId, byte[]? passwd)
    {
        Assert.That(SessionTracker.CheckPassword(sessionId, passwd), Is.False);
    }
}
