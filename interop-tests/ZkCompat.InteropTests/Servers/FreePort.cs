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

    /// <summary>
    /// <paramref name="count"/> distinct loopback ports that were free a moment ago: all are held at once
    /// while they are chosen, so none is handed out twice (an ensemble needs three per server).
    /// </summary>
    public static IReadOnlyList<int> OnLoopback(int count)
    {
        var listeners = new List<TcpListener>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(listener);
                listener.Start();
            }
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}
