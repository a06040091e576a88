using BenchmarkDotNet.Attributes;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>Training the test zoo's BatchNorm CNN (Conv2d, BatchNorm2d, ReLU, MaxPool2d, Dropout, Linear; the layers of
/// NeuralNet.Torch.Tests/Zoo/BatchNormCnn.cs in one Sequential) with Adam lr 1e-3 and cross-entropy: 3,200 synthetic
/// samples <c>[1, 28, 28]</c> in batches of 64 (50 steps), a raw TorchSharp loop (the baseline) against the library's
/// <see cref="Trainer.TrainEpoch"/> over a <see cref="TensorDataset"/> (no shuffling, like the raw loop).</summary>
public class CnnTrainingBenchmarks
{
    public const int Samples = 3_200;
    private const int BatchSize = 64;
    private Tensor _images = null!;
    private Tensor _labels = null!;
    private nn.Module<Tensor, Tensor> _model = null!;
    private TensorDataset _dataset = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.manual_seed(3);
        _images = torch.rand(Samples, 1, 28, 28);
        _labels = torch.randint(0, 10, [Samples], ScalarType.Int64);
        _model = Create();
        _dataset = new TensorDataset(_images, _labels);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _dataset.Dispose();
        _images.Dispose();
        _labels.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw TorchSharp Adam steps, BatchNorm CNN (3,200 samples, batch 64)")]
    public double RawSteps() => RawLoop(_model, _images, _labels, BatchSize);

    [Benchmark(Description = "library Trainer.TrainEpoch, BatchNorm CNN (same samples, batch 64)")]
    public double LibrarySteps() => LibraryLoop(_model, _dataset, BatchSize);

    /// <summary>The zoo's BatchNormCnn as one Sequential (the same layers and settings).</summary>
    public static nn.Module<Tensor, Tensor> Create() => nn.Sequential(
        nn.Conv2d(1, 16, 3, padding: 1, bias: false), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding: 1, bias: false), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10));

    /// <summary>The library's loop: <see cref="Trainer.TrainEpoch"/> over a <see cref="BatchLoader"/>.</summary>
    public static double LibraryLoop(nn.Module<Tensor, Tensor> model, IDataset dataset, int batchSize)
    {
        using var loader = new BatchLoader(dataset, batchSize);
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        return Trainer.TrainEpoch(model, loader, optimizer).AverageLoss;
    }

    /// <summary>The baseline: the same steps written directly against TorchSharp.</summary>
    public static double RawLoop(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, int batchSize)
    {
        var samples = images.shape[0];
        model.train();
        using var optimizer = optim.Adam(model.parameters(), 1e-3);
        var total = 0.0;
        for (long start = 0; start < samples; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var size = Math.Min(batchSize, samples - start);
            var x = images.narrow(0, start, size);
            var y = labels.narrow(0, start, size);
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            if (start % (10 * batchSize) == 0)
            {
                total += loss.item<float>();
            }
        }
        return total;
    }
}
