using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Eight threads calling one predictor a thousand times each, against the same images predicted one by one.</summary>
internal static class PredictorConcurrency
{
    public static void ShouldEqualTheSequentialResults(Predictor predictor, float[][] images)
    {
        var sequential = images.Select(predictor.Predict).ToArray();

        var concurrent = new ClassPrediction[8][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            concurrent[t] = new ClassPrediction[1000];
            for (var i = 0; i < 1000; i++)
            {
                concurrent[t][i] = predictor.Predict(images[(t * 1000 + i) % images.Length]);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        for (var t = 0; t < 8; t++)
        {
            for (var i = 0; i < 1000; i++)
            {
                var expected = sequential[(t * 1000 + i) % images.Length];
                var actual = concurrent[t][i];
                actual.Class.Should().Be(expected.Class);
                // Batched and single-row GEMMs may sum in another order: float32 rounding only.
                actual.Probabilities.Zip(expected.Probabilities).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-6f);
            }
        }
    }
}
