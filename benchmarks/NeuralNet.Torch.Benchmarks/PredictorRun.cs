using System.Diagnostics;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;
using TorchSharp;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>The Predictor under 16 concurrent in-process clients (each sends one image, waits for the answer, sends
/// the next) against the offline throughput of model.Predict on batches of 64, same weights, same images.</summary>
internal static class PredictorRun
{
    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
        torch.InitializeDeviceType(DeviceType.CPU);
        var random = new Random(5);
        var images = Enumerable.Range(0, 256).Select(_ => Enumerable.Range(0, 784).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();

        torch.manual_seed(42);
        using (var model = new NeuralNetwork())
        {
            model.eval();
            using var batch = torch.tensor(images.Take(64).SelectMany(i => i).ToArray(), [64, 784]);
            var offline = Measure(seconds, () => { model.Predict(batch); return 64; });
            Console.WriteLine($"offline model.Predict, batch 64 (packed path): {offline:F0} images/s");
            var offlineLibTorch = Measure(seconds, () => { model.Predict(batch, Inference.InferenceOptions.LibTorchOnly); return 64; });
            Console.WriteLine($"offline model.Predict, batch 64 (libtorch):    {offlineLibTorch:F0} images/s");
            using var one = torch.tensor(images[0], [1, 784]);
            var single = Measure(seconds, () => { model.Predict(one); return 1; });
            Console.WriteLine($"offline model.Predict, batch 1 (packed path):  {single:F0} images/s");

            foreach (var wait in new[] { 0.0, 1.0 })
            {
                torch.manual_seed(42);
                using var predictor = new Predictor(new NeuralNetwork(), new PredictorOptions { Device = "cpu", MaxBatchWait = TimeSpan.FromMilliseconds(wait) });
                var served = Clients(predictor, images, 16, seconds, out var p50, out var p99);
                Console.WriteLine($"Predictor, 16 blocking client threads, MaxBatchWait {wait} ms: {served:F0} images/s = {served / offline:P0} of offline batch 64; " +
                    $"latency p50 {p50:F0} us, p99 {p99:F0} us");
                served = AsyncClients(predictor, images, 16, seconds, out p50, out p99);
                Console.WriteLine($"Predictor, 16 async clients,          MaxBatchWait {wait} ms: {served:F0} images/s = {served / offline:P0} of offline batch 64; " +
                    $"latency p50 {p50:F0} us, p99 {p99:F0} us");
            }
        }
        return 0;
    }

    private static double Measure(double seconds, Func<int> action)
    {
        for (var i = 0; i < 20; i++)
        {
            action();
        }
        var images = 0L;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed.TotalSeconds < seconds)
        {
            images += action();
        }
        return images / watch.Elapsed.TotalSeconds;
    }

    // 16 async loops (as a service's request handlers are): each awaits its prediction, then sends the next.
    private static double AsyncClients(Predictor predictor, float[][] images, int clients, double seconds, out double p50, out double p99)
    {
        var latencies = new List<double>[clients];
        var warmUntil = Stopwatch.GetTimestamp() + (long)(0.5 * Stopwatch.Frequency);
        var endAt = warmUntil + (long)(seconds * Stopwatch.Frequency);
        var counts = new long[clients];
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            latencies[c] = new List<double>(100_000);
            var i = c;
            while (true)
            {
                var start = Stopwatch.GetTimestamp();
                if (start >= endAt)
                {
                    return;
                }
                await predictor.PredictAsync(images[i++ % images.Length]).ConfigureAwait(false);
                if (start >= warmUntil)
                {
                    latencies[c].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    counts[c]++;
                }
            }
        })).ToArray();
        Task.WaitAll(tasks);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        p50 = all[all.Length / 2];
        p99 = all[(int)(all.Length * 0.99)];
        return counts.Sum() / seconds;
    }

    private static double Clients(Predictor predictor, float[][] images, int clients, double seconds, out double p50, out double p99)
    {
        var latencies = new List<double>[clients];
        var stop = Stopwatch.StartNew();
        var warm = true;
        var counts = new long[clients];
        var threads = Enumerable.Range(0, clients).Select(c => new Thread(() =>
        {
            latencies[c] = new List<double>(100_000);
            var i = c;
            while (stop.Elapsed.TotalSeconds < seconds + 0.5)
            {
                var start = Stopwatch.GetTimestamp();
                predictor.Predict(images[i++ % images.Length]);
                if (!Volatile.Read(ref warm))
                {
                    latencies[c].Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                    counts[c]++;
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Thread.Sleep(500);
        Volatile.Write(ref warm, false);
        var measured = Stopwatch.StartNew();
        threads.ForEach(t => t.Join());
        var elapsed = measured.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        p50 = all[all.Length / 2];
        p99 = all[(int)(all.Length * 0.99)];
        return counts.Sum() / elapsed;
    }
}
