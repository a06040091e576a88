using BenchmarkDotNet.Attributes;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>One epoch-equivalent of training: 60,000 synthetic samples in batches of 64 (938 steps), SGD lr 1e-3,
/// cross-entropy, through a raw TorchSharp loop over the library's model (the library has no training loop of its own
/// on this branch).</summary>
public class TrainingBenchmarks
{
    private const int Samples = 60_000;
    private const int BatchSize = 64;
    private Tensor _images = null!;
    private Tensor _labels = null!;
    private NeuralNetwork _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.manual_seed(3);
        _images = torch.rand(Samples, 784);
        _labels = torch.randint(0, 10, [Samples], ScalarType.Int64);
        _model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _images.Dispose();
        _labels.Dispose();
        _model.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw TorchSharp SGD epoch (60k samples, batch 64)")]
    public double RawEpoch()
    {
        _model.train();
        using var optimizer = optim.SGD(_model.parameters(), 1e-3);
        var total = 0.0;
        for (var start = 0; start < Samples; start += BatchSize)
        {
            using var scope = NewDisposeScope();
            var size = Math.Min(BatchSize, Samples - start);
            var x = _images.narrow(0, start, size);
            var y = _labels.narrow(0, start, size);
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(_model.forward(x), y);
            loss.backward();
            optimizer.step();
            if (start % (100 * BatchSize) == 0)
            {
                total += loss.item<float>();
            }
        }
        return total;
    }
}
