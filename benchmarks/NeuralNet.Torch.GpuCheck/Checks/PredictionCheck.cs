using NeuralNet.Torch.Prediction;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>The same weights and images on the CPU and on CUDA: logits and probabilities within
/// <see cref="CheckOutput.Tolerance"/>, the same classes (near-ties aside).</summary>
internal static class PredictionCheck
{
    private static readonly int[] MlpBatches = [64, 1024];

    /// <summary>The documented model through the library's <c>Predict</c> (the managed packed path on the CPU up to
    /// 256 images, libtorch above; libtorch on CUDA).</summary>
    public static void RunMlp(CheckOutput output)
    {
        torch.manual_seed(1);
        using var model = new NeuralNetwork();
        model.eval();
        var images = MlpBatches.Select(n => torch.rand(n, 28, 28).DetachFromDisposeScope()).ToArray();
        try
        {
            var cpu = images.Select(x => (Logits(model, x), Probabilities(model.Predict(x)))).ToArray();
            for (var i = 0; i < images.Length; i++)
            {
                output.Number($"cpu_batch{MlpBatches[i]}_mean_confidence", MeanConfidence(cpu[i].Item2));
            }
            if (Cuda.TryGet(out var reason) is not { } device)
            {
                output.Skip($"{reason}; CPU half computed (numbers)");
                return;
            }
            Cuda.UseFullFloat32(output);
            model.to(device);
            var worst = (Logits: 0.0, Probabilities: 0.0, Mismatches: 0);
            for (var i = 0; i < images.Length; i++)
            {
                using var onDevice = images[i].to(device);
                var logits = Compare.MaxAbsDiff(cpu[i].Item1, Logits(model, onDevice));
                var probabilities = Probabilities(model.Predict(onDevice));
                var difference = Compare.MaxAbsDiff(cpu[i].Item2, probabilities);
                var mismatches = Compare.ClassMismatches(cpu[i].Item2, probabilities, NeuralNetwork.OutputFeatures);
                output.Number($"batch{MlpBatches[i]}_max_abs_diff_logits", logits);
                output.Number($"batch{MlpBatches[i]}_max_abs_diff_probabilities", difference);
                output.Number($"batch{MlpBatches[i]}_class_mismatches", mismatches);
                worst = (Math.Max(worst.Logits, logits), Math.Max(worst.Probabilities, difference), worst.Mismatches + mismatches);
            }
            Verdict(output, worst);
        }
        finally
        {
            foreach (var x in images)
            {
                x.Dispose();
            }
        }
    }

    /// <summary>A small CNN (two 3x3 convolutions with ReLU and max pooling, then a Linear) on 64 images, compared
    /// in full float32 (the verdict) and, for information, with libtorch's default TF32 setting for cuDNN.</summary>
    public static void RunCnn(CheckOutput output)
    {
        torch.manual_seed(2);
        using var model = SmallCnn();
        model.eval();
        using var images = torch.rand(64, 1, 28, 28);
        var cpuLogits = Logits(model, images);
        var cpuProbabilities = Softmax(cpuLogits);
        output.Number("cpu_batch64_mean_confidence", MeanConfidence(cpuProbabilities));
        if (Cuda.TryGet(out var reason) is not { } device)
        {
            output.Skip($"{reason}; CPU half computed (numbers)");
            return;
        }
        Cuda.ReportTf32(output);
        model.to(device);
        using var onDevice = images.to(device);
        output.Number("default_tf32_max_abs_diff_logits", Compare.MaxAbsDiff(cpuLogits, Logits(model, onDevice)));
        Cuda.UseFullFloat32(output);
        var logits = Logits(model, onDevice);
        var probabilities = Softmax(logits);
        var worst = (Compare.MaxAbsDiff(cpuLogits, logits), Compare.MaxAbsDiff(cpuProbabilities, probabilities),
            Compare.ClassMismatches(cpuProbabilities, probabilities, 10));
        output.Number("max_abs_diff_logits", worst.Item1);
        output.Number("max_abs_diff_probabilities", worst.Item2);
        output.Number("class_mismatches", worst.Item3);
        Verdict(output, worst);
    }

    /// <summary>The check's CNN: <c>[N, 1, 28, 28]</c> to logits <c>[N, 10]</c>.</summary>
    public static Sequential SmallCnn() => Sequential(
        ("conv1", Conv2d(1, 8, 3, padding: 1)), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),
        ("conv2", Conv2d(8, 16, 3, padding: 1)), ("relu2", ReLU()), ("pool2", MaxPool2d(2)),
        ("flatten", Flatten()), ("fc", Linear(16 * 7 * 7, 10)));

    private static void Verdict(CheckOutput output, (double Logits, double Probabilities, int Mismatches) worst) =>
        output.Verdict(worst.Logits <= CheckOutput.Tolerance && worst.Probabilities <= CheckOutput.Tolerance && worst.Mismatches == 0,
            $"max |logits difference| {worst.Logits:G3}, max |probability difference| {worst.Probabilities:G3} " +
            $"(tolerance {CheckOutput.Tolerance:G1}), {worst.Mismatches} class mismatches");

    private static float[] Logits(Module<Tensor, Tensor> model, Tensor images)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return model.forward(images).cpu().data<float>().ToArray();
    }

    private static float[] Softmax(float[] logits)
    {
        using var scope = NewDisposeScope();
        return nn.functional.softmax(torch.tensor(logits).reshape(-1, 10), 1).data<float>().ToArray();
    }

    private static float[] Probabilities(IReadOnlyList<ClassPrediction> predictions) =>
        predictions.SelectMany(p => p.Probabilities).ToArray();

    private static double MeanConfidence(float[] probabilities) =>
        probabilities.Chunk(10).Average(row => (double)row.Max());
}
