using System.Diagnostics;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;
using TorchSharp;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>The <see cref="Predictor"/> on CUDA under 16 concurrent callers, each answer compared with the same
/// model's <c>Predict</c> on the CPU; without CUDA, the same on the CPU for the CPU half's numbers.</summary>
internal static class PredictorCheck
{
    private const int Callers = 16;
    private const int RequestsPerCaller = 32;

    public static void Run(CheckOutput output)
    {
        torch.manual_seed(3);
        var model = new NeuralNetwork();
        const int Count = Callers * RequestsPerCaller;
        float[][] images;
        IReadOnlyList<ClassPrediction> expected;
        using (var batch = torch.rand(Count, NeuralNetwork.InputFeatures))
        {
            images = Enumerable.Range(0, Count).Select(i => batch[i].data<float>().ToArray()).ToArray();
            expected = model.Predict(batch);
        }
        var device = Cuda.TryGet(out var reason);
        var name = device is null ? "cpu" : "cuda";
        var results = new ClassPrediction[Count];
        var clock = Stopwatch.StartNew();
        using (var predictor = new Predictor(model, new PredictorOptions { Device = name }))
        {
            Task.WaitAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
            {
                for (var i = caller * RequestsPerCaller; i < (caller + 1) * RequestsPerCaller; i++)
                {
                    results[i] = await predictor.PredictAsync(images[i]);
                }
            })));
        }
        clock.Stop();
        var cpuProbabilities = expected.SelectMany(p => p.Probabilities).ToArray();
        var probabilities = results.SelectMany(p => p.Probabilities).ToArray();
        var difference = Compare.MaxAbsDiff(cpuProbabilities, probabilities);
        var mismatches = Compare.ClassMismatches(cpuProbabilities, probabilities, NeuralNetwork.OutputFeatures);
        output.Number($"{name}_requests_per_second", Count / clock.Elapsed.TotalSeconds);
        output.Number($"{name}_max_abs_diff_probabilities", difference);
        output.Number($"{name}_class_mismatches", mismatches);
        var ok = difference <= CheckOutput.Tolerance && mismatches == 0;
        var what = $"{Count} requests from {Callers} concurrent callers on {name}: max |probability difference| from the CPU's " +
            $"Predict {difference:G3}, {mismatches} class mismatches";
        if (device is null && ok)
        {
            output.Skip($"{reason}; CPU half: {what}");
        }
        else
        {
            output.Verdict(ok, what);
        }
    }
}
