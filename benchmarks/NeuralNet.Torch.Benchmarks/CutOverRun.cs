using System.Diagnostics;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using TorchSharp;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>Where the packed path stops paying: model.Predict per image on the packed path and on libtorch fp32 for
/// batch sizes from 1 to 512 (best of 5 medians of short runs, so a busy machine disturbs it less than a mean would).
/// The library's default cut-over, PackedInference.DefaultMaxBatchSize, comes from this table.</summary>
internal static class CutOverRun
{
    public static int Run(string[] args)
    {
        using var w = new SharedWeights();
        Console.WriteLine(Machine.Describe());
        Console.WriteLine("| batch | packed us/image | libtorch us/image | libtorch / packed |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var n in new[] { 1, 2, 4, 8, 16, 32, 64, 96, 128, 192, 256, 512 })
        {
            torch.manual_seed(n);
            using var x = torch.rand(n, 784);
            var packed = PerImage(() => w.Model.Predict(x, new InferenceOptions { PackedMaxBatchSize = 4096 }), n);
            var libtorch = PerImage(() => w.Model.Predict(x, InferenceOptions.LibTorchOnly), n);
            Console.WriteLine($"| {n} | {packed:F2} | {libtorch:F2} | {libtorch / packed:F2} |");
        }
        return 0;
    }

    private static double PerImage(Func<IReadOnlyList<ClassPrediction>> action, int n)
    {
        var reps = Math.Clamp(20_000 / n, 10, 2000);
        for (var i = 0; i < reps / 4 + 5; i++)
        {
            action();
        }
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var times = new double[reps];
            for (var i = 0; i < reps; i++)
            {
                var start = Stopwatch.GetTimestamp();
                action();
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            Array.Sort(times);
            best = Math.Min(best, times[reps / 2]);
        }
        return best / n;
    }
}
