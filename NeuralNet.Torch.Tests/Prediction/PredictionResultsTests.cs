using FluentAssertions;
using NeuralNet.Torch.Inference;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Prediction;

public sealed class PredictionResultsTests
{
    private static readonly float[][] Rows =
    [
        [0.1f, 0.7f, 0.2f],
        [0.4f, 0.2f, 0.4f],
        [0.1f, float.NaN, 0.9f, float.NaN],
        [float.NaN, 0.5f],
        [0.3f, 0.3f, 0.3f],
        [-1f, float.NegativeInfinity, -0.5f],
    ];

    [TestCaseSource(nameof(Rows))]
    public void ArgMax_IsLibTorchsArgmax(float[] row)
    {
        using var tensor = torch.tensor(row);
        using var expected = tensor.argmax();

        PredictionResults.ArgMax(row).Should().Be((int)expected.item<long>());
    }

    [Test]
    public void FromProbabilities_GivesEachRowItsOwnCopyAndClass()
    {
        var probabilities = new float[2 * NeuralNetwork.OutputFeatures];
        probabilities[3] = 1f;
        probabilities[NeuralNetwork.OutputFeatures + 7] = 0.6f;
        probabilities[NeuralNetwork.OutputFeatures + 2] = 0.4f;

        var results = PredictionResults.FromProbabilities(probabilities, 2, NeuralNetwork.OutputFeatures);
        probabilities.AsSpan().Clear();

        results.Select(r => r.Class).Should().Equal(3, 7);
        results[1].Probabilities[7].Should().Be(0.6f);
        results[1].Probabilities.Should().HaveCount(NeuralNetwork.OutputFeatures);
    }
}
