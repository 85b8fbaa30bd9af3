using System.Net.Sockets;
using System.Text;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// Sends a request exactly as written, byte for byte. HttpClient would tidy a path such as <c>/a/../b</c> or
/// <c>%2e%2e</c> before sending it, and these tests need the untidy one to reach the gateway.
/// </summary>
public static class RawHttp
{
    public sealed record Response(int Status, string Head, string Body);

    /// <summary>
    /// Sends the request; <paramref name="chunked"/> sends the body in chunks of 900 bytes, with no length up front;
    /// <paramref name="framed"/> is sent after the headers exactly as given (a body with framing of the test's own
    /// making); <paramref name="from"/> is the local address to send from (another loopback address, as another
    /// machine would), or any.
    /// </summary>
    public static async Task<Response> SendAsync(Uri server, string requestLine, IEnumerable<string> headers, string body = "", bool chunked = false, string? framed = null, System.Net.IPAddress? from = null)
    {
        using var client = from is null ? new TcpClient() : new TcpClient(new System.Net.IPEndPoint(from, 0));
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        var request = new StringBuilder()
            .Append(requestLine).Append("\r\n")
            .Append(string.Concat(headers.Select(h => h + "\r\n")))
            .Append("Connection: close\r\n");
        if (framed is not null)
        {
            request.Append("\r\n").Append(framed);
        }
        else if (chunked)
        {
            request.Append("Transfer-Encoding: chunked\r\n\r\n");
            foreach (var chunk in body.Chunk(900))
            {
                request.Append(System.Globalization.CultureInfo.InvariantCulture, $"{chunk.Length:x}\r\n").Append(chunk).Append("\r\n");
            }

            request.Append("0\r\n\r\n");
        }
        else
        {
            if (body.Length > 0)
            {
                request.Append("Content-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n");
            }

            request.Append("\r\n").Append(body);
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = split < 0 ? text : text[..split];
        var status = int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return new Response(status, head, split < 0 ? "" : Dechunk(head, text[(split + 4)..]));
    }

    private static string Dechunk(string head, string body)
    {
        if (!head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return body;
        }

        var result = new StringBuilder();
        var position = 0;
        while (position < body.Length)
        {
            var lineEnd = body.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[position..lineEnd], 16);
            if (size == 0)
            {
                break;
            }

            result.Append(body, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }

        return result.ToString();
    }
}
