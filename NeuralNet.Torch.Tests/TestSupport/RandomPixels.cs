namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Images of 784 uniform random pixels in [0, 1), as the predictor takes them; the same seed gives the same
/// values.</summary>
internal static class RandomPixels
{
    public static float[][] Images(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => Enumerable.Range(0, NeuralNetwork.InputFeatures).Select(_ => (float)random.NextDouble()).ToArray())
            .ToArray();
    }
}
