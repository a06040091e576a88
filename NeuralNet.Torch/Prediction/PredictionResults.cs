namespace NeuralNet.Torch.Prediction;

/// <summary>Turns a batch's softmax probabilities into <see cref="ClassPrediction"/>s, the same way for every path.</summary>
internal static class PredictionResults
{
    /// <summary>One prediction per row of <paramref name="probabilities"/> (<c>[count * 10]</c>, row by row), each with
    /// its own copy of its row.</summary>
    public static ClassPrediction[] FromProbabilities(ReadOnlySpan<float> probabilities, int count)
    {
        var width = NeuralNetwork.OutputFeatures;
        var results = new ClassPrediction[count];
        for (var i = 0; i < results.Length; i++)
        {
            var row = probabilities.Slice(i * width, width);
            results[i] = new ClassPrediction(ArgMax(row), row.ToArray());
        }
        return results;
    }

    /// <summary>The index of the largest value, as libtorch's <c>argmax</c>: the first one wins a tie, and a NaN counts
    /// as larger than any number (the first NaN wins).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var k = 0; k < row.Length; k++)
        {
            if (float.IsNaN(row[k]))
            {
                return k;
            }
            if (row[k] > row[best])
            {
                best = k;
            }
        }
        return best;
    }
}
