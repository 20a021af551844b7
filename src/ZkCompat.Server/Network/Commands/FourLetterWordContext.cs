using System.Text;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// What a four-letter word may look at (the server, the connection that asked) and the text it
/// answers with. Lines end in <c>\n</c>, as Java's PrintWriter writes them on Linux.
/// </summary>
public sealed class FourLetterWordContext(ZooKeeperServer server, ClientConnection? requester)
{
    /// <summary>Java's <c>AbstractFourLetterCommand.ZK_NOT_SERVING</c>.</summary>
    public const string NotServing = "This ZooKeeper instance is not currently serving requests";

    private readonly StringBuilder _output = new();

    public ZooKeeperServer Server { get; } = server;

    /// <summary>The connection the word came in on; null when a test runs a command directly.</summary>
    public ClientConnection? Requester { get; } = requester;

    /// <summary>stmk's argument: the 8 bytes after the word, big-endian.</summary>
    public long TraceMaskArgument { get; init; }

    /// <summary>
    /// Java's <c>isZKServerRunning</c>. A standalone server answers from the moment its port is
    /// open; quorum roles will say when they are not (yet) serving.
    /// </summary>
    public bool IsServing => true;

    /// <summary>Java's <c>ServerStats.getServerState</c> (Mode: / zk_server_state).</summary>
    public string ServerState => Server.ServerState;

    /// <summary>
    /// Every open client connection, the asking one included (Java's <c>factory.getConnections</c>);
    /// connections whose own word is answered are on their way out and left out, as Java has removed them.
    /// </summary>
    public IReadOnlyList<ClientConnection> Connections =>
        Server.Connections.OfType<ClientConnection>().Where(c => !c.Stats.FourLetterWordDone).ToArray();

    public string Output => _output.ToString();

    public FourLetterWordContext Print(string text)
    {
        _output.Append(text);
        return this;
    }

    public FourLetterWordContext Print(long value) => Print(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public FourLetterWordContext Println(string text = "")
    {
        _output.Append(text).Append('\n');
        return this;
    }

    public FourLetterWordContext Println(long value) => Println(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
