using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using ZkCompat.Server.Network.Commands;

namespace ZkCompat.Server.Network;

/// <summary>
/// Four-letter words (Java's <c>NIOServerCnxn.checkFourLetterWord</c> and <c>CommandExecutor</c>):
/// recognised in the first four bytes of a fresh connection, answered in plain text in the Java
/// server's exact format, then the connection closes. Only whitelisted words run
/// (<c>4lw.commands.whitelist</c>; Java 3.8's default is srvr alone); others get a one-line refusal.
/// </summary>
public static partial class FourLetterWords
{
    public const string ZkNotServing = FourLetterWordContext.NotServing;

    /// <summary>The version line Java prints; clients and scripts parse the number.</summary>
    public const string Version = "3.8.0-zkcompat, built on 2026-11-25 00:00 UTC";

    /// <summary>The bytes telnet sends when it closes (0xFFF4FFFD); known so it is not taken for a length.</summary>
    public const string TelnetClose = "telnet close";

    public const string SetTraceMask = "stmk";

    private static readonly Dictionary<int, string> Known = new[]
    {
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat",
        "wchc", "wchp", "wchs", "mntr", "isro", "hash",
    }.ToDictionary(w => BinaryPrimitives.ReadInt32BigEndian(Encoding.ASCII.GetBytes(w)), w => w);

    private const int TelnetCloseCode = unchecked((int)0xFFF4FFFD);

    /// <summary>The size of the BufferedWriter Java writes answers through.</summary>
    private const int AnswerChunkChars = 8192;

    private static readonly Dictionary<string, Action<FourLetterWordContext>> Commands = new(StringComparer.Ordinal)
    {
        ["conf"] = ConfCommand.Run,
        ["cons"] = ConsCommand.Run,
        ["crst"] = ConsCommand.RunReset,
        ["dirs"] = ConfCommand.RunDirs,
        ["dump"] = DumpCommand.Run,
        ["envi"] = EnvCommand.Run,
        ["gtmk"] = SimpleCommands.GetTraceMask,
        ["ruok"] = SimpleCommands.Ruok,
        ["stmk"] = SimpleCommands.SetTraceMask,
        ["srst"] = SimpleCommands.StatReset,
        ["srvr"] = c => StatCommand.Run(c, withClients: false),
        ["stat"] = c => StatCommand.Run(c, withClients: true),
        ["wchc"] = WatchCommand.RunByConnection,
        ["wchp"] = WatchCommand.RunByPath,
        ["wchs"] = WatchCommand.RunSummary,
        ["mntr"] = MonitorCommand.Run,
        ["isro"] = SimpleCommands.Isro,
        ["hash"] = SimpleCommands.Hash,
    };

    /// <summary>Every word the server knows, <see cref="TelnetClose"/> included.</summary>
    public static IReadOnlyCollection<string> All { get; } = [.. Known.Values, TelnetClose];

    /// <summary>Whether the first four bytes (big-endian int, as Java reads the length) are a known word.</summary>
    public static bool TryGetCommand(in ReadOnlySequence<byte> buffer, out string? command)
    {
        command = null;
        if (buffer.Length < 4) return false;
        Span<byte> first = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(first);
        int code = BinaryPrimitives.ReadInt32BigEndian(first);
        if (code == TelnetCloseCode) command = TelnetClose;
        else if (Known.TryGetValue(code, out string? word)) command = word;
        return command is not null;
    }

    /// <summary>Bytes the word needs before it can run: an enabled stmk carries an 8-byte mask after it.</summary>
    public static int BytesNeeded(string command, ZooKeeperServer zks) =>
        command == SetTraceMask && zks.Options.IsFourLetterWordEnabled(command) ? 12 : 4;

    /// <summary>
    /// The answer to <paramref name="command"/>, whitelist applied; null when the connection is to be
    /// closed without one (an enabled telnet close, which Java goes on to read as a bad length).
    /// </summary>
    public static string? Execute(string command, ZooKeeperServer zks, ClientConnection? requester = null, long traceMask = 0)
    {
        if (!zks.Options.IsFourLetterWordEnabled(command))
            return command + " is not executed because it is not in the whitelist.\n";
        if (!Commands.TryGetValue(command, out var run)) return null;
        var context = new FourLetterWordContext(zks, requester) { TraceMaskArgument = traceMask };
        run(context);
        return context.Output;
    }

    /// <summary>
    /// Answers a word that arrived on <paramref name="connection"/> (null in tests) and flushes the
    /// answer; the caller then closes the connection. <paramref name="received"/> is everything read
    /// so far, the word included. Never throws: a failure is logged and the answer is cut short.
    /// </summary>
    public static async Task RunAsync(string command, ReadOnlySequence<byte> received, ClientConnection? connection,
        ZooKeeperServer zks, PipeWriter output, ILogger log, CancellationToken ct)
    {
        var remote = connection?.RemoteEndPoint;
        try
        {
            // The word counts as a received packet, on the connection and the server (stat shows it).
            if (connection is not null)
            {
                connection.Stats.FourLetterWord = command;
                connection.Stats.PacketReceived();
            }
            zks.Stats.IncrementPacketsReceived();

            long traceMask = 0;
            if (command == SetTraceMask && zks.Options.IsFourLetterWordEnabled(command))
            {
                if (received.Length < 12)
                {
                    LogMaskMissing(log, remote);
                    return;
                }
                Span<byte> mask = stackalloc byte[8];
                received.Slice(4, 8).CopyTo(mask);
                traceMask = BinaryPrimitives.ReadInt64BigEndian(mask);
            }

            LogProcessing(log, command, remote);
            string? answer = Execute(command, zks, connection, traceMask);
            if (answer is null) return;
            await output.WriteAsync(Encoding.UTF8.GetBytes(answer), ct).ConfigureAwait(false);
            await output.FlushAsync(ct).ConfigureAwait(false);
            // Java sends the answer in chunks of its 8192-char writer buffer, each counted as a packet sent.
            for (int sent = 0; sent < answer.Length; sent += AnswerChunkChars)
            {
                connection?.Stats.PacketSent();
                zks.Stats.IncrementPacketsSent();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // Whatever went wrong, the connection only closes: a word must not take the server down.
            LogFailed(log, e, command, remote);
        }
        finally
        {
            if (connection is not null) connection.Stats.FourLetterWordDone = true;
        }
    }

    /// <summary>Java's <c>Double.toString</c> for the values these outputs hold.</summary>
    public static string JavaDouble(double value) => JavaFormat.Double(value);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Processing {Command} command from {Remote}")]
    private static partial void LogProcessing(ILogger log, string command, IPEndPoint? remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "stmk from {Remote} without its 8-byte trace mask: closing")]
    private static partial void LogMaskMissing(ILogger log, IPEndPoint? remote);

    [LoggerMessage(Level = LogLevel.Error, Message = "Error in running command {Command} from {Remote}")]
    private static partial void LogFailed(ILogger log, Exception exception, string command, IPEndPoint? remote);
}
