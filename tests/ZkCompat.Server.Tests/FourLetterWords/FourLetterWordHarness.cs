using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network;
using ZkCompat.Server.Tests.Protocol;
using Flw = ZkCompat.Server.Network.FourLetterWords;

namespace ZkCompat.Server.Tests.FourLetterWords;

/// <summary>Runs four-letter words against an in-process server: straight into a Pipe, or over a real socket.</summary>
internal static class FourLetterWordHarness
{
    /// <summary>Options with every word enabled (whitelist "*").</summary>
    public static ServerOptions AllEnabled(ServerOptions? baseOptions = null) =>
        (baseOptions ?? new ServerOptions { TickTime = 2000, ClientPortAddress = "127.0.0.1" }) with
        {
            FourLetterWordWhitelist = new HashSet<string>(Flw.All, StringComparer.Ordinal),
        };

    public static InProcessServer Start(ServerOptions? options = null, TimeProvider? time = null) =>
        InProcessServer.Start(options ?? AllEnabled(), time);

    /// <summary>Runs the word as a connection would, writing into a Pipe, and returns the text written.</summary>
    public static async Task<string> RunAsync(ZooKeeperServer server, string word, byte[]? extra = null, ClientConnection? requester = null)
    {
        var pipe = new Pipe();
        byte[] received = [.. Encoding.ASCII.GetBytes(word.Length == 4 ? word : "xxxx"), .. extra ?? []];
        await Flw.RunAsync(word, new ReadOnlySequence<byte>(received), requester, server, pipe.Writer, NullLogger.Instance, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        return await ReadAllAsync(pipe.Reader);
    }

    /// <summary>Sends raw bytes on a fresh connection, as nc would, and returns everything until the server closes.</summary>
    public static async Task<string> SendAsync(InProcessServer server, params byte[][] writes)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, server.Listener.LocalEndPoint.Port, cts.Token);
        var stream = client.GetStream();
        foreach (byte[] bytes in writes)
        {
            await stream.WriteAsync(bytes, cts.Token);
            await stream.FlushAsync(cts.Token);
        }
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, cts.Token);
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    public static Task<string> SendAsync(InProcessServer server, string word) => SendAsync(server, Encoding.ASCII.GetBytes(word));

    /// <summary>The server side of a client's session.</summary>
    public static ClientConnection ConnectionOf(InProcessServer server, long sessionId) =>
        server.Listener.Connections.Single(c => c.SessionId == sessionId);

    /// <summary>Lines of an answer that ends in a newline (the last, empty, piece dropped).</summary>
    public static string[] Lines(string answer)
    {
        Assert.That(answer, Does.EndWith("\n"), "every line ends in \\n");
        return answer[..^1].Split('\n');
    }

    private static async Task<string> ReadAllAsync(PipeReader reader)
    {
        var sb = new StringBuilder();
        while (true)
        {
            var result = await reader.ReadAsync();
            foreach (var segment in result.Buffer) sb.Append(Encoding.UTF8.GetString(segment.Span));
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted) break;
        }
        await reader.CompleteAsync();
        return sb.ToString();
    }
}
