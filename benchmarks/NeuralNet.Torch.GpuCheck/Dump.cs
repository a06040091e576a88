using System.Globalization;
using NeuralNet.Torch.Native;
using NeuralNet.Torch.Prediction;
using TorchSharp;

namespace NeuralNet.Torch.GpuCheck;

/// <summary>The documented model's CPU predictions for fixed seeds, every probability as its float32 bits: two runs
/// print the same text exactly when they computed the same bits (the tests compare a backend package's libtorch with
/// the same libtorch loaded through <c>NEURALNET_LIBTORCH_DIR</c>).</summary>
internal static class Dump
{
    public static void Write(TextWriter writer)
    {
        // Before torch.manual_seed: a TorchSharp call first would run TorchSharp's own probing, not NEURALNET_LIBTORCH_DIR.
        TorchRuntime.Initialize();
        torch.manual_seed(7);
        using var model = new NeuralNetwork();
        foreach (var batch in new[] { 3, 1000 })
        {
            using var images = torch.rand(batch, 28, 28);
            foreach (var prediction in model.Predict(images))
            {
                writer.WriteLine($"{prediction.Class} " + string.Join(' ',
                    prediction.Probabilities.Select(p => BitConverter.SingleToInt32Bits(p).ToString("x8", CultureInfo.InvariantCulture))));
            }
        }
    }
}
