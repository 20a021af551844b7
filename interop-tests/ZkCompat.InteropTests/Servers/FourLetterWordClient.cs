using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZkCompat.InteropTests.Servers;

/// <summary>Four-letter words over the client port: the server answers in plain text and closes.</summary>
public static class FourLetterWordClient
{
    public static async Task<string> SendAsync(int port, string word, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token).ConfigureAwait(false);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(word), cts.Token).ConfigureAwait(false);
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, cts.Token).ConfigureAwait(false);
        return Encoding.UTF8.GetString(answer.ToArray());
    }
}
