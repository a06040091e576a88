using NeuralNet.Torch.Data;
using NeuralNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>One slice of a training epoch (the quickstart's loop: SGD, lr 1e-3, batches of 64) from the same initial
/// weights over the same batches on the CPU and on CUDA: every batch's loss within <see cref="CheckOutput.Tolerance"/>.</summary>
internal static class TrainingCheck
{
    private const int Batches = 20;
    private const int BatchSize = 64;

    public static void Run(CheckOutput output)
    {
        torch.manual_seed(4);
        using var cpuModel = new NeuralNetwork();
        using var images = torch.rand(Batches * BatchSize, 1, 28, 28);
        using var labels = torch.randint(0, 10, [Batches * BatchSize], ScalarType.Int64);
        using var dataset = new ImageDataset(images, labels, Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray());
        var device = Cuda.TryGet(out var reason);
        using var cudaModel = device is null ? null : Copy(cpuModel, device);

        var cpuLosses = Train(cpuModel, dataset, CPU);
        output.Number("cpu_first_loss", cpuLosses[0]);
        output.Number("cpu_last_loss", cpuLosses[^1]);
        output.Number("cpu_batches", cpuLosses.Count);
        if (device is null || cudaModel is null)
        {
            output.Skip($"{reason}; CPU half computed (numbers)");
            return;
        }
        Cuda.UseFullFloat32(output);
        var cudaLosses = Train(cudaModel, dataset, device);
        var worst = cpuLosses.Zip(cudaLosses, (a, b) => Math.Abs(a - b)).Max();
        output.Number("cuda_last_loss", cudaLosses[^1]);
        output.Number("max_abs_diff_loss", worst);
        output.Number("max_abs_diff_weights", MaxWeightDifference(cpuModel, cudaModel));
        output.Verdict(cudaLosses.Count == cpuLosses.Count && worst <= CheckOutput.Tolerance,
            $"{cudaLosses.Count} batches: max |loss difference| {worst:G3} (tolerance {CheckOutput.Tolerance:G1}); " +
            $"losses {cpuLosses[0]:F6} .. {cpuLosses[^1]:F6} on the CPU, {cudaLosses[0]:F6} .. {cudaLosses[^1]:F6} on CUDA");
    }

    private static List<double> Train(NeuralNetwork model, ImageDataset dataset, Device device)
    {
        var losses = new Losses();
        using var loader = new BatchLoader(dataset, BatchSize, device: device);
        using var optimizer = optim.SGD(model.parameters(), TrainingOptions.Quickstart.LearningRate);
        Trainer.TrainEpoch(model, loader, optimizer, new TrainingOptions { Progress = losses });
        return losses.Values;
    }

    private static NeuralNetwork Copy(NeuralNetwork source, Device device)
    {
        var copy = new NeuralNetwork();
        using (no_grad())
        {
            foreach (var (target, value) in copy.parameters().Zip(source.parameters()))
            {
                target.copy_(value);
            }
        }
        return copy.to(device);
    }

    private static double MaxWeightDifference(NeuralNetwork cpu, NeuralNetwork cuda)
    {
        using var scope = NewDisposeScope();
        return cpu.parameters().Zip(cuda.parameters())
            .Max(p => (p.First - p.Second.cpu()).abs().max().item<float>());
    }

    // Called synchronously on the training thread, in batch order (Progress<T> would post to the thread pool).
    private sealed class Losses : IProgress<TrainingProgress>
    {
        public List<double> Values { get; } = [];

        public void Report(TrainingProgress value) => Values.Add(value.Loss);
    }
}
