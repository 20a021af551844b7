using System.Net;
using System.Net.Sockets;

namespace ZkCompat.InteropTests.Servers;

/// <summary>A loopback port that was free a moment ago (the server start retries if someone took it since).</summary>
public static class FreePort
{
    public static int OnLoopback()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
