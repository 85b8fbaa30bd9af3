using System.Net.Sockets;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// A client that sends every request over one kept-alive connection, as an ingress's pooled connection does, and
/// counts the connections it opened (so a test can check that its requests really shared one).
/// </summary>
public sealed class OneConnectionClient : IDisposable
{
    private readonly SocketsHttpHandler _handler;
    private int _connections;

    public OneConnectionClient(Uri address)
    {
        _handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancellation) =>
            {
                Interlocked.Increment(ref _connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, cancellation);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        Client = new HttpClient(_handler) { BaseAddress = address };
    }

    public HttpClient Client { get; }

    /// <summary>The connections opened so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Sends GET <paramref name="path"/> with <paramref name="apiKey"/> in <c>X-Api-Key</c>.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, string apiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", apiKey);
        return await Client.SendAsync(request);
    }

    public void Dispose()
    {
        Client.Dispose();
        _handler.Dispose();
    }
}
