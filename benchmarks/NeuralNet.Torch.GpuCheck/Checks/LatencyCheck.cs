using System.Diagnostics;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>The library's <c>Predict</c> (results back in managed memory) at batch 1, 64 and 4096 on the CPU and on
/// CUDA: the median of several timed runs after warm-up. Measured, not judged: it passes when it ran.</summary>
internal static class LatencyCheck
{
    private static readonly int[] Batches = [1, 64, 4096];

    public static void Run(CheckOutput output)
    {
        torch.manual_seed(6);
        using var cpuModel = new NeuralNetwork();
        cpuModel.eval();
        var device = Cuda.TryGet(out var reason);
        using var cudaModel = device is null ? null : new NeuralNetwork();
        if (cudaModel is not null && device is not null)
        {
            cudaModel.load_state_dict(cpuModel.state_dict());
            cudaModel.to(device).eval();
        }
        var lines = new List<string>();
        foreach (var batch in Batches)
        {
            using var images = torch.rand(batch, 28, 28);
            var runs = batch >= 4096 ? 10 : 50;
            var cpu = MedianMilliseconds(() => cpuModel.Predict(images), runs);
            output.Number($"batch{batch}_cpu_ms", cpu);
            if (cudaModel is null || device is null)
            {
                lines.Add($"batch {batch}: CPU {cpu:F3} ms");
                continue;
            }
            using var onDevice = images.to(device);
            var cuda = MedianMilliseconds(() => cudaModel.Predict(onDevice), runs);
            output.Number($"batch{batch}_cuda_ms", cuda);
            output.Number($"batch{batch}_cpu_over_cuda", cpu / cuda);
            lines.Add($"batch {batch}: CPU {cpu:F3} ms, CUDA {cuda:F3} ms ({cpu / cuda:F2}x)");
        }
        var what = "median of the timed runs after a second of warm-up; " + string.Join("; ", lines);
        if (device is null)
        {
            output.Skip($"{reason}; CPU half: {what}");
        }
        else
        {
            output.Pass(what);
        }
    }

    private static double MedianMilliseconds(Func<IReadOnlyList<ClassPrediction>> predict, int runs)
    {
        // Warm up for a second (and at least 5 calls): the JIT optimises a method only after it has run a while.
        var warmUp = Stopwatch.StartNew();
        for (var i = 0; i < 5 || warmUp.Elapsed < TimeSpan.FromSeconds(1); i++)
        {
            _ = predict();
        }
        var times = new double[runs];
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            _ = predict();
            times[i] = clock.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return runs % 2 == 1 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
    }
}
