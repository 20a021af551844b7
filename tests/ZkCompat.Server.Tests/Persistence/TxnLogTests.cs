using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class TxnLogTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private FileTxnLog NewLog(long preAllocBytes = 4096, bool forceSync = true)
    {
        Directory.CreateDirectory(_dir.VersionDir);
        return new FileTxnLog(new DirectoryInfo(_dir.VersionDir), new FileTxnLogOptions { PreAllocSizeBytes = preAllocBytes, ForceSync = forceSync },
            TimeProvider.System, NullLogger.Instance);
    }

    [TestCase(0, TestName = "RoundTrip_OneFile")]
    [TestCase(1, TestName = "RoundTrip_RollAfterEveryTxn")]
    [TestCase(5, TestName = "RoundTrip_RollEveryFive")]
    public void EveryTxnTypeReadsBackEqual(int rollEvery)
    {
        var script = TxnScript.EveryType();
        using (var log = NewLog()) Persist.WriteLog(log, script.Entries, rollEvery);

        var read = Persist.ReadLog(_dir.VersionDir);
        Assert.That(read.Select(Persist.Describe), Is.EqualTo(script.Entries.Select(Persist.Describe)));
        var types = read.Select(e => (OpCode)e.Header.Type).ToHashSet();
        Assert.That(types, Is.SupersetOf(new[]
        {
            OpCode.CreateSession, OpCode.CloseSession, OpCode.Create, OpCode.Create2, OpCode.CreateTtl, OpCode.CreateContainer,
            OpCode.Delete, OpCode.DeleteContainer, OpCode.SetData, OpCode.Reconfig, OpCode.SetAcl, OpCode.Error, OpCode.Multi,
        }));
    }

    [Test]
    public void FilesAreNamedAfterTheirFirstZxidInLowercaseHex()
    {
        var script = TxnScript.EveryType(startZxid: 0x100000000 - 3);
        using (var log = NewLog()) Persist.WriteLog(log, script.Entries, rollEvery: 10);

        var names = Directory.GetFiles(_dir.VersionDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Does.Contain("log.fffffffe").And.Contain("log.100000008"));
    }

    [Test]
    public void FileLayoutMatchesJava()
    {
        var script = new TxnScript();
        var entry = script.CreateSession(0x1234, 5000);
        using (var log = NewLog(preAllocBytes: 65536)) Persist.WriteLog(log, script.Entries);

        byte[] file = File.ReadAllBytes(Path.Combine(_dir.VersionDir, "log.1"));
        // 16-byte header, then the preallocated size: 16 + preAllocSize after the first record.
        Assert.That(file, Has.Length.EqualTo(16 + 65536));
        Assert.That(Convert.ToHexString(file, 0, 16), Is.EqualTo("5A4B4C47" + "00000002" + "0000000000000000"));
        byte[] body = TxnLogEntry.Marshal(entry.Header, entry.Txn, entry.Digest);
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(file.AsSpan(16)), Is.EqualTo(Adler32.Compute(body)));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(24)), Is.EqualTo(body.Length));
            Assert.That(file.AsSpan(28, body.Length).ToArray(), Is.EqualTo(body));
            Assert.That(file[28 + body.Length], Is.EqualTo((byte)'B'));
            Assert.That(file.AsSpan(29 + body.Length).ContainsAnyExcept((byte)0), Is.False, "zero-filled tail");
            // header 32 + CreateSessionTxn 4 + TxnDigest 12
            Assert.That(body, Has.Length.EqualTo(48));
        });
    }

    // Within 4 KiB of the end: grow by one step; already past it: round up to a multiple of the step.
    [TestCase(16, 0, 100, ExpectedResult = 100)]
    [TestCase(16, 116, 100, ExpectedResult = 216)]
    [TestCase(5000, 116, 100, ExpectedResult = 5100)]
    [TestCase(4000, 8000, 100, ExpectedResult = 8100)]
    [TestCase(4000, 8000, 1000, ExpectedResult = 9000)]
    [TestCase(4000, 8000, 0, ExpectedResult = 8000)]
    [TestCase(3904, 8000, 65536, ExpectedResult = 73536)]
    [TestCase(3903, 8000, 65536, ExpectedResult = 8000)]
    public long PaddingFollowsJava(long position, long fileSize, long preAllocSize) =>
        FileTxnLog.CalculateFileSizeWithPadding(position, fileSize, preAllocSize);

    [Test]
    public void GrowsInPreallocationSteps()
    {
        var script = new TxnScript();
        for (int i = 0; i < 40; i++) script.Create("/n" + i, new byte[200]);
        using (var log = NewLog(preAllocBytes: 8192)) Persist.WriteLog(log, script.Entries);

        long length = new FileInfo(Path.Combine(_dir.VersionDir, "log.1")).Length;
        Assert.That((length - 16) % 8192, Is.EqualTo(0).Or.EqualTo(length % 8192), "grown in whole steps");
        Assert.That(Persist.ReadLog(_dir.VersionDir), Has.Count.EqualTo(40));
    }

    [Test]
    public void CommitMakesAppendsVisibleAndRollStartsANewFileOnTheNextAppend()
    {
        var script = new TxnScript();
        for (int i = 0; i < 6; i++) script.Create("/n" + i);
        using var log = NewLog();
        for (int i = 0; i < 3; i++) log.Append(script.Entries[i].Header, script.Entries[i].Txn, script.Entries[i].Digest);
        Assert.That(Persist.ReadLog(_dir.VersionDir), Is.Empty, "appends are buffered until commit");
        log.RollLog();
        for (int i = 3; i < 6; i++) log.Append(script.Entries[i].Header, script.Entries[i].Txn, script.Entries[i].Digest);
        log.Commit();

        Assert.That(Directory.GetFiles(_dir.VersionDir).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "log.1", "log.4" }));
        Assert.That(Persist.ReadLog(_dir.VersionDir).Select(e => e.Header.Zxid), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 6 }));
        Assert.That(log.LastLoggedZxid, Is.EqualTo(6));
    }

    [TestCase(1, 1)]
    [TestCase(4, 4)]
    [TestCase(7, 7)]
    [TestCase(12, 12)]
    [TestCase(13, -1)]
    public void IteratorStartsAtTheRequestedZxid(long from, long first)
    {
        var script = new TxnScript();
        for (int i = 0; i < 12; i++) script.Create("/n" + i);
        using (var log = NewLog()) Persist.WriteLog(log, script.Entries, rollEvery: 3);

        var read = Persist.ReadLog(_dir.VersionDir, from);
        Assert.That(read.Count == 0 ? -1 : read[0].Header.Zxid, Is.EqualTo(first));
        Assert.That(read.Select(e => e.Header.Zxid), Is.Ordered.Ascending);
        if (read.Count > 0) Assert.That(read[^1].Header.Zxid, Is.EqualTo(12));
    }

    [Test]
    public void LastLoggedZxidScansTheNewestFile()
    {
        var script = new TxnScript();
        for (int i = 0; i < 7; i++) script.Create("/n" + i);
        using (var log = NewLog()) Persist.WriteLog(log, script.Entries, rollEvery: 3);

        Assert.That(TxnLogIterator.LastLoggedZxid(new DirectoryInfo(_dir.VersionDir), TxnLogEntry.ReadOptions.Default), Is.EqualTo(7));
    }

    [Test]
    public void ReadsPre33CreateTxnWithoutParentCVersion()
    {
        // An old create body: path, data, acl, ephemeral - no parentCVersion.
        var header = new TxnHeader { ClientId = 0, Cxid = 1, Zxid = 1, Time = 5, Type = (int)OpCode.Create };
        var v0 = new CreateTxnV0 { Path = "/old", Data = [7], Acl = ZkCompat.Server.Data.WellKnownAcls.OpenAclUnsafe(), Ephemeral = false };
        byte[] entry = TxnLogEntry.Marshal(header, v0, null);

        var read = TxnLogEntry.Unmarshal(entry, TxnLogEntry.ReadOptions.Default);
        Assert.That(read.Txn, Is.TypeOf<CreateTxn>());
        var create = (CreateTxn)read.Txn!;
        Assert.Multiple(() =>
        {
            Assert.That(create.Path, Is.EqualTo("/old"));
            Assert.That(create.ParentCVersion, Is.EqualTo(-1));
            Assert.That(read.Digest, Is.Null);
        });
    }

    [Test]
    public void CloseSessionBodyIsSkippedWhenCloseSessionTxnIsDisabled()
    {
        var header = new TxnHeader { ClientId = 9, Cxid = 0, Zxid = 1, Time = 5, Type = (int)OpCode.CloseSession };
        byte[] entry = TxnLogEntry.Marshal(header, null, new TxnDigest { Version = 2, TreeDigest = 77 });
        var options = TxnLogEntry.ReadOptions.Default with { CloseSessionTxnEnabled = false };

        var read = TxnLogEntry.Unmarshal(entry, options);
        Assert.That(read.Txn, Is.Null);
        Assert.That(read.Digest!.TreeDigest, Is.EqualTo(77));
    }

    [Test]
    public void UnknownTxnTypeIsAnErrorNamingFileAndOffset()
    {
        var good = new TxnScript();
        good.Create("/a");
        using (var log = NewLog())
        {
            Persist.WriteLog(log, good.Entries);
            log.Append(new TxnHeader { Zxid = 2, Type = 99 }, null, null);
            log.Commit();
        }
        var e = Assert.Throws<CorruptDataException>(() => Persist.ReadLog(_dir.VersionDir));
        Assert.That(e!.FilePath, Does.EndWith("log.1"));
        Assert.That(e.Message, Does.Contain("Unsupported Txn"));
    }

    [TestCase("Wikipedia", 0x11E60398L)]
    [TestCase("", 1L)]
    public void Adler32MatchesJava(string text, long expected) =>
        Assert.That(Adler32.Compute(System.Text.Encoding.ASCII.GetBytes(text)), Is.EqualTo(expected));

    [Test]
    public void Adler32OverLongInputMatchesByteAtATime()
    {
        var data = new byte[20_000];
        new Random(7).NextBytes(data);
        uint a = 1, b = 0;
        foreach (byte x in data)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }
        Assert.That(Adler32.Compute(data), Is.EqualTo(((long)b << 16) | a));
    }

    [Test]
    public void MarshalledEntryIsHeaderBodyDigest()
    {
        var header = new TxnHeader { ClientId = 1, Cxid = 2, Zxid = 3, Time = 4, Type = (int)OpCode.Delete };
        var body = new DeleteTxn { Path = "/x" };
        var digest = new TxnDigest { Version = 2, TreeDigest = 5 };
        byte[] expected = [.. JuteSerializer.ToArray(header), .. JuteSerializer.ToArray(body), .. JuteSerializer.ToArray(digest)];
        Assert.That(TxnLogEntry.Marshal(header, body, digest), Is.EqualTo(expected));
    }
}
