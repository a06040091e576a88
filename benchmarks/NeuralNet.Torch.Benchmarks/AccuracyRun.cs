using System.Diagnostics;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using TorchSharp;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>The bf16 mode's accuracy cost on real data: the three real PyTorch checkpoints (FashionMNIST-trained
/// quickstart models) on the 10,000 MNIST t10k images, bf16 vs fp32: argmax agreement (the primary number), the
/// largest probability difference, and accuracy against the MNIST labels (a secondary number: the models never saw
/// MNIST digits).</summary>
internal static class AccuracyRun
{
    public static int Run(string[] args)
    {
        var fixtures = Idx.SharedFixtures();
        if (fixtures is null)
        {
            Console.Error.WriteLine("error: ../shared/fixtures not found (run from the repository).");
            return 1;
        }
        if (Machine.NoBFloat16 is { } why)
        {
            Console.WriteLine($"{Machine.Describe()}");
            Console.WriteLine($"n/a: {why}.");
            return 0;
        }
        torch.InitializeDeviceType(DeviceType.CPU);
        var pixels = Idx.ReadImages(Path.Combine(fixtures, "mnist", "t10k-images-idx3-ubyte.gz"), out var count);
        var labels = Idx.ReadLabels(Path.Combine(fixtures, "mnist", "t10k-labels-idx1-ubyte.gz"));
        using var images = torch.tensor(pixels, [count, 784]);
        var bf16 = new InferenceOptions { Precision = InferencePrecision.BFloat16 };
        Console.WriteLine($"{Machine.Describe()}; {count} MNIST t10k images; batches of 4096 (last {count % 4096})");
        Console.WriteLine("| checkpoint | argmax agreement bf16 vs fp32 | max abs probability diff | fp32 accuracy (MNIST labels) | bf16 accuracy (MNIST labels) | fp32 s | bf16 s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var file in Directory.GetFiles(Path.Combine(fixtures, "pytorch"), "*.pth").Order())
        {
            using var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
            model.LoadCheckpoint(file);
            var watch = Stopwatch.StartNew();
            var exact = PredictAll(model, images, count, InferenceOptions.Default);
            var exactSeconds = watch.Elapsed.TotalSeconds;
            watch.Restart();
            var reduced = PredictAll(model, images, count, bf16);
            var reducedSeconds = watch.Elapsed.TotalSeconds;
            var agree = exact.Zip(reduced).Count(p => p.First.Class == p.Second.Class);
            var maxDiff = exact.Zip(reduced).Max(p => p.First.Probabilities.Zip(p.Second.Probabilities).Max(q => Math.Abs(q.First - q.Second)));
            var exactAccuracy = exact.Select((p, i) => p.Class == labels[i] ? 1 : 0).Sum();
            var reducedAccuracy = reduced.Select((p, i) => p.Class == labels[i] ? 1 : 0).Sum();
            Console.WriteLine($"| {Path.GetFileName(file)} | {100.0 * agree / count:F2}% ({count - agree} differ) | {maxDiff:F4} | " +
                $"{100.0 * exactAccuracy / count:F2}% | {100.0 * reducedAccuracy / count:F2}% | {exactSeconds:F2} | {reducedSeconds:F2} |");
        }
        return 0;
    }

    private static List<ClassPrediction> PredictAll(NeuralNetwork model, torch.Tensor images, int count, InferenceOptions options)
    {
        var results = new List<ClassPrediction>(count);
        for (var start = 0; start < count; start += 4096)
        {
            using var batch = images.narrow(0, start, Math.Min(4096, count - start));
            results.AddRange(model.Predict(batch, options));
        }
        return results;
    }
}
