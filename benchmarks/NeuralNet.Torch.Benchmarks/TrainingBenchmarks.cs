using BenchmarkDotNet.Attributes;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>One epoch-equivalent of training: 60,000 synthetic samples <c>[1, 28, 28]</c> in batches of 64 (938 steps),
/// SGD lr 1e-3, cross-entropy, on the quickstart model: a raw TorchSharp loop (the baseline) against the library's
/// <see cref="Trainer.TrainEpoch"/> over a <see cref="BatchLoader"/> (no shuffling, like the raw loop).</summary>
public class TrainingBenchmarks
{
    private const int Samples = 60_000;
    private const int BatchSize = 64;
    private Tensor _images = null!;
    private Tensor _labels = null!;
    private NeuralNetwork _model = null!;
    private ImageDataset _dataset = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.manual_seed(3);
        _images = torch.rand(Samples, 1, 28, 28);
        _labels = torch.randint(0, 10, [Samples], ScalarType.Int64);
        _model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        _dataset = new ImageDataset(_images, _labels, Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dataset.Dispose();
        _images.Dispose();
        _labels.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw TorchSharp SGD epoch (60k samples, batch 64)")]
    public double RawEpoch() => RawLoop(_model, _images, _labels, BatchSize);

    [Benchmark(Description = "library Trainer.TrainEpoch (same samples, batch 64)")]
    public double LibraryEpoch() => LibraryLoop(_model, _dataset, BatchSize);

    /// <summary>The library's loop: <see cref="Trainer.TrainEpoch"/> over a <see cref="BatchLoader"/>.</summary>
    public static double LibraryLoop(NeuralNetwork model, ImageDataset dataset, int batchSize)
    {
        using var loader = new BatchLoader(dataset, batchSize);
        using var optimizer = optim.SGD(model.parameters(), 1e-3);
        return Trainer.TrainEpoch(model, loader, optimizer).AverageLoss;
    }

    /// <summary>The baseline: the same steps written directly against TorchSharp.</summary>
    public static double RawLoop(NeuralNetwork model, Tensor images, Tensor labels, int batchSize)
    {
        var samples = images.shape[0];
        model.train();
        using var optimizer = optim.SGD(model.parameters(), 1e-3);
        var total = 0.0;
        for (long start = 0; start < samples; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var size = Math.Min(batchSize, samples - start);
            var x = images.narrow(0, start, size);
            var y = labels.narrow(0, start, size);
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.forward(x), y);
            loss.backward();
            optimizer.step();
            if (start % (100 * batchSize) == 0)
            {
                total += loss.item<float>();
            }
        }
        return total;
    }
}
