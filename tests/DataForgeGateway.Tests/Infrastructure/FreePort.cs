using System.Net;
using System.Net.Sockets;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>A loopback port nothing listens on right now, for listeners that need a fixed port.</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
