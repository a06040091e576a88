using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>A tiny HTTP server on 127.0.0.1 for download tests (the internet is not reachable from the test
/// machines, and tests must not depend on it). Each request's path is answered by the test's function.</summary>
internal sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener;
    private readonly Func<string, Reply> _respond;
    private readonly Task _loop;

    public LoopbackHttpServer(Func<string, Reply> respond)
    {
        _respond = respond;
        (_listener, BaseUri) = Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary><c>http://127.0.0.1:PORT/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The paths requested so far, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>A 200 with <paramref name="body"/>.</summary>
    public static Reply Ok(byte[] body) => new(200, body, AbortAfter: null);

    /// <summary>A 404 with no body.</summary>
    public static Reply NotFound() => new(404, [], AbortAfter: null);

    /// <summary>Announces the whole body's length, sends <paramref name="sent"/> bytes of it, then drops the connection.</summary>
    public static Reply Truncated(byte[] body, int sent) => new(200, body, sent);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends with the listener's exception when it is stopped.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            var path = context.Request.Url!.AbsolutePath;
            Requests.Enqueue(path);
            var reply = _respond(path);
            var response = context.Response;
            try
            {
                response.StatusCode = reply.Status;
                response.ContentLength64 = reply.Body.Length;
                if (reply.AbortAfter is { } sent)
                {
                    await response.OutputStream.WriteAsync(reply.Body.AsMemory(0, sent));
                    await response.OutputStream.FlushAsync();
                    response.Abort();
                    continue;
                }
                await response.OutputStream.WriteAsync(reply.Body);
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The client went away; nothing to do.
            }
        }
    }

    private static (HttpListener, Uri) Start()
    {
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var uri = new Uri($"http://127.0.0.1:{port}/");
            var listener = new HttpListener();
            listener.Prefixes.Add(uri.AbsoluteUri);
            try
            {
                listener.Start();
                return (listener, uri);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close(); // the port was taken in between: try another
            }
        }
    }

    /// <summary>What to answer: a status, a body, and optionally how many body bytes to send before dropping the connection.</summary>
    internal sealed record Reply(int Status, byte[] Body, int? AbortAfter);
}
