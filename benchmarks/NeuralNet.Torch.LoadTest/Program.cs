// A bounded load run against examples/08-PredictionService, on the loopback interface only.
//
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.LoadTest -- [--requests 20000] [--clients 32] [--port 5087]
//                                                                            [--weights FILE --variant quickstart]
//
// It starts the service (the example's built program, same configuration) on http://127.0.0.1:PORT, waits for
// /healthz, reads its resident memory, sends a fixed number of POST /predict requests from many concurrent clients,
// reads the resident memory again, prints requests/s and latency percentiles, stops the service and exits.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

var options = Options.Parse(args);
var root = FindRepositoryRoot();
var configuration = typeof(Options).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
var service = Path.Combine(root, "examples", "08-PredictionService", "bin", configuration, "net10.0", "PredictionService.dll");
if (!File.Exists(service))
{
    Console.Error.WriteLine($"error: {service} not found; build the example first.");
    return 1;
}
var url = $"http://127.0.0.1:{options.Port}"; // loopback only, by construction
var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
foreach (var a in new[] { service, "--urls", url })
{
    start.ArgumentList.Add(a);
}
if (options.Weights is not null)
{
    start.ArgumentList.Add("--weights");
    start.ArgumentList.Add(options.Weights);
    start.ArgumentList.Add("--variant");
    start.ArgumentList.Add(options.Variant);
}
start.Environment["Logging__LogLevel__Default"] = "Warning";
using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the service");
_ = process.StandardOutput.ReadToEndAsync();
_ = process.StandardError.ReadToEndAsync();
try
{
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients, UseProxy = false };
    using var http = new HttpClient(handler) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    var ready = Stopwatch.StartNew();
    while (true)
    {
        try
        {
            if ((await http.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
            {
                break;
            }
        }
        catch (HttpRequestException)
        {
        }
        if (ready.Elapsed > TimeSpan.FromSeconds(60) || process.HasExited)
        {
            Console.Error.WriteLine("error: the service did not become healthy within 60 s.");
            return 1;
        }
        await Task.Delay(200);
    }

    var random = new Random(1);
    var bodies = Enumerable.Range(0, 64).Select(_ =>
        "{\"pixels\":[" + string.Join(',', Enumerable.Range(0, 784).Select(_ => random.NextSingle().ToString("0.###", CultureInfo.InvariantCulture))) + "]}").ToArray();

    // Warm-up: JIT, connections, the predictor's helper thread.
    await Drive(http, bodies, Math.Min(2000, options.Requests / 5), options.Clients, null);
    var rssBefore = ResidentMegabytes(process.Id);
    var latencies = new double[options.Requests];
    var watch = Stopwatch.StartNew();
    var failures = await Drive(http, bodies, options.Requests, options.Clients, latencies);
    var elapsed = watch.Elapsed.TotalSeconds;
    var rssAfter = ResidentMegabytes(process.Id);
    Array.Sort(latencies);
    double Percentile(double p) => latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * p))];
    Console.WriteLine($"service: {url} (examples/08-PredictionService, {configuration}), {Environment.ProcessorCount} cores shared by client and service");
    Console.WriteLine($"requests: {options.Requests} single-image POST /predict from {options.Clients} concurrent clients, {failures} failed");
    Console.WriteLine($"throughput: {options.Requests / elapsed:F0} requests/s ({elapsed:F2} s)");
    Console.WriteLine($"latency: p50 {Percentile(0.50):F2} ms, p90 {Percentile(0.90):F2} ms, p99 {Percentile(0.99):F2} ms, max {latencies[^1]:F2} ms");
    Console.WriteLine($"service resident memory: {rssBefore:F0} MB before, {rssAfter:F0} MB after");
    return failures == 0 ? 0 : 2;
}
finally
{
    if (!process.HasExited)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }
}

static async Task<int> Drive(HttpClient http, string[] bodies, int requests, int clients, double[]? latencies)
{
    var next = -1;
    var failures = 0;
    var workers = Enumerable.Range(0, clients).Select(async _ =>
    {
        while (true)
        {
            var i = Interlocked.Increment(ref next);
            if (i >= requests)
            {
                return;
            }
            var started = Stopwatch.GetTimestamp();
            using var content = new StringContent(bodies[i % bodies.Length], Encoding.UTF8, "application/json");
            using var response = await http.PostAsync("/predict", content);
            await response.Content.ReadAsByteArrayAsync();
            if (latencies is not null)
            {
                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref failures);
            }
        }
    });
    await Task.WhenAll(workers);
    return failures;
}

static double ResidentMegabytes(int pid)
{
    var status = $"/proc/{pid}/status";
    if (!File.Exists(status))
    {
        using var p = Process.GetProcessById(pid);
        return p.WorkingSet64 / 1048576.0;
    }
    var line = File.ReadLines(status).First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
}

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "NeuralNet.Torch.sln")))
        {
            return dir.FullName;
        }
    }
    throw new InvalidOperationException("NeuralNet.Torch.sln not found above the program.");
}

/// <summary>Command-line settings of the load run.</summary>
internal sealed record Options(int Requests, int Clients, int Port, string? Weights, string Variant)
{
    public static Options Parse(string[] args)
    {
        var o = new Options(20_000, 32, 5087, null, "quickstart");
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            o = args[i] switch
            {
                "--requests" => o with { Requests = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--clients" => o with { Clients = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--port" => o with { Port = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--weights" => o with { Weights = args[i + 1] },
                "--variant" => o with { Variant = args[i + 1] },
                _ => throw new ArgumentException($"Unknown argument {args[i]}."),
            };
        }
        if (o.Requests is < 1 or > 1_000_000 || o.Clients is < 1 or > 1024)
        {
            throw new ArgumentException("Expected 1..1000000 requests and 1..1024 clients.");
        }
        return o;
    }
}
