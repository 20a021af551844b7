using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Server.Config;
using static ZkCompat.Server.Tests.FourLetterWords.FourLetterWordHarness;
using Flw = ZkCompat.Server.Network.FourLetterWords;

namespace ZkCompat.Server.Tests.FourLetterWords;

/// <summary>How words are recognised, refused and answered on the wire.</summary>
public class FramingAndWhitelistTests
{
    [TestCase(new byte[] { 0x72, 0x75, 0x6F, 0x6B }, "ruok")]
    [TestCase(new byte[] { 0x73, 0x72, 0x76, 0x72 }, "srvr")]
    [TestCase(new byte[] { 0x6D, 0x6E, 0x74, 0x72, 0x0A }, "mntr")]
    [TestCase(new byte[] { 0x68, 0x61, 0x73, 0x68 }, "hash")]
    [TestCase(new byte[] { 0xFF, 0xF4, 0xFF, 0xFD }, "telnet close")]
    [TestCase(new byte[] { 0x52, 0x55, 0x4F, 0x4B }, null)]
    [TestCase(new byte[] { 0x00, 0x00, 0x00, 0x2C }, null)]
    [TestCase(new byte[] { 0x72, 0x75, 0x6F }, null)]
    public void Words_are_the_first_four_bytes(byte[] bytes, string? expected)
    {
        bool known = Flw.TryGetCommand(new ReadOnlySequence<byte>(bytes), out string? command);
        Assert.That((known, command), Is.EqualTo((expected is not null, expected)));
    }

    [TestCase("ruok")]
    [TestCase("mntr")]
    [TestCase("stat")]
    [TestCase("stmk")]
    [TestCase("telnet close")]
    public async Task Default_whitelist_refuses_all_but_srvr(string word)
    {
        await using var server = Start(new ServerOptions { TickTime = 2000 });
        Assert.That(await RunAsync(server.Server, word), Is.EqualTo(word + " is not executed because it is not in the whitelist.\n"));
    }

    [Test]
    public async Task Srvr_is_always_enabled()
    {
        await using var server = Start(new ServerOptions { TickTime = 2000 });
        Assert.That(await RunAsync(server.Server, "srvr"), Does.StartWith("Zookeeper version: 3.8.0-zkcompat"));
    }

    [Test]
    public async Task Enabled_telnet_close_just_closes()
    {
        await using var server = Start();
        Assert.That(await SendAsync(server, [0xFF, 0xF4, 0xFF, 0xFD]), Is.Empty);
    }

    [Test]
    public async Task Words_answer_over_the_socket_and_the_server_closes()
    {
        await using var server = Start();
        Assert.That(await SendAsync(server, "ruok"), Is.EqualTo("imok"));
        // nc sends the newline of "echo mntr": the word is still the first four bytes.
        Assert.That(await SendAsync(server, "isro\n"), Is.EqualTo("rw"));
    }

    [Test]
    public async Task Stmk_waits_for_its_eight_bytes()
    {
        await using var server = Start();
        byte[] word = Encoding.ASCII.GetBytes("stmk");
        string answer = await SendAsync(server, [.. word, 0, 0, 0], [0, 0, 0, 0, 0x20]);
        Assert.That(answer, Is.EqualTo("32"));
        Assert.That(await SendAsync(server, "gtmk"), Is.EqualTo("32"));
    }

    [Test]
    public async Task Stmk_without_its_mask_closes_silently()
    {
        await using var server = Start();
        Assert.That(await RunAsync(server.Server, "stmk", [1, 2]), Is.Empty);
        Assert.That(await RunAsync(server.Server, "gtmk"), Is.EqualTo("306"), "the mask is unchanged");
    }

    [Test]
    public async Task A_failing_writer_does_not_escape()
    {
        await using var server = Start();
        var writer = new FailingWriter();
        await Flw.RunAsync("srvr", new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("srvr")), null, server.Server, writer,
            NullLogger.Instance, CancellationToken.None);
        Assert.That(writer.Attempts, Is.EqualTo(1));
    }

    [Test]
    public async Task Words_after_a_session_handshake_are_not_words()
    {
        await using var server = Start();
        await using var client = await server.ConnectAsync();
        // "ruok" as a length (0x72756F6B) after the handshake is far above jute.maxbuffer: the connection closes.
        var reply = await client.SendRawBytesAsync(Encoding.ASCII.GetBytes("ruok"), replyXid: 1).WaitAsync(TimeSpan.FromSeconds(10))
            .ContinueWith(t => t.Status, TaskScheduler.Default);
        Assert.That(reply, Is.Not.EqualTo(TaskStatus.RanToCompletion));
    }

    private sealed class FailingWriter : PipeWriter
    {
        private readonly byte[] _buffer = new byte[64 * 1024];

        public int Attempts { get; private set; }

        public override void Advance(int bytes)
        {
        }

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Attempts++;
            throw new IOException("Broken pipe");
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => _buffer;

        public override Span<byte> GetSpan(int sizeHint = 0) => _buffer;
    }
}
