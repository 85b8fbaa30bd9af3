using System.Net;
using System.Net.Sockets;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>A loopback port nothing listens on right now, for listeners that need a fixed port.</summary>
/// <remarks>
/// Chosen below Linux's ephemeral range (32768 and up): a port from that range, free when chosen, can be taken
/// before it is bound by the local end of any outgoing connection the parallel tests open, which made a gateway
/// started by a test fail with "address already in use". Below it, only an explicit bind can collide.
/// </remarks>
internal static class FreePort
{
    public const int First = 20000;
    public const int EphemeralStart = 32768;

    public static int Next()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(First, EphemeralStart);
            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free port between {First} and {EphemeralStart}");
    }

    /// <summary>
    /// A port for a Redis Cluster node, which also listens on its port plus 10000 (the cluster bus): both below the
    /// ephemeral range and both free.
    /// </summary>
    public static int NextWithClusterBus()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var port = Random.Shared.Next(12000, EphemeralStart - 10000);
            if (IsFree(port) && IsFree(port + 10000))
            {
                return port;
            }
        }

        throw new InvalidOperationException("no free pair of ports for a Redis Cluster node");
    }

    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
