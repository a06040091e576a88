using System.Numerics.Tensors;

namespace NeuralNet.Torch.Inference;

/// <summary>Turns a batch's logits into <see cref="ClassPrediction"/>s the same way for every path: libtorch's
/// <c>softmax(dim=1)</c> and <c>argmax(1)</c>, for any number of classes.</summary>
internal static class PredictionResults
{
    /// <summary>One prediction per row of <paramref name="probabilities"/> (<c>[rows * classes]</c>, row by row), each
    /// with its own copy of its row and, when <paramref name="classNames"/> is given, its class's name.</summary>
    public static ClassPrediction[] FromProbabilities(ReadOnlySpan<float> probabilities, int rows, int classes, IReadOnlyList<string>? classNames = null)
    {
        var results = new ClassPrediction[rows];
        for (var i = 0; i < results.Length; i++)
        {
            var row = probabilities.Slice(i * classes, classes);
            var k = ArgMax(row);
            results[i] = new ClassPrediction(k, row.ToArray(), classNames?[k]);
        }
        return results;
    }

    /// <summary>Predictions from a batch's logits (<c>[rows * classes]</c>, row by row): <see cref="SoftmaxRows"/> in
    /// place, then one prediction per row.</summary>
    /// <remarks>In managed code, in place: no libtorch call and no copy of the logits per batch.</remarks>
    public static ClassPrediction[] FromLogits(Span<float> logits, int rows, int classes, IReadOnlyList<string>? classNames = null)
    {
        SoftmaxRows(logits, rows, classes);
        return FromProbabilities(logits, rows, classes, classNames);
    }

    /// <summary>Softmax of each row of <paramref name="values"/> (<c>[rows * classes]</c>), in place, as libtorch
    /// computes it: <c>exp(x - max) / sum</c>. A NaN makes its row's maximum NaN, and so does <c>+inf</c> (inf - inf);
    /// a row whose values are all <c>-inf</c> has a NaN maximum difference too: those rows come out all NaN, as in
    /// libtorch. <c>-inf</c> beside a finite maximum gives probability 0.</summary>
    public static void SoftmaxRows(Span<float> values, int rows, int classes)
    {
        // Short rows are too short for a vectorised call each: scalar max and sums, one vectorised exp over all rows.
        values = values[..(rows * classes)];
        for (var start = 0; start < values.Length; start += classes)
        {
            var row = values.Slice(start, classes);
            var max = row[0];
            foreach (var v in row)
            {
                max = v > max || float.IsNaN(v) ? v : max;
            }
            Subtract(row, max);
        }
        TensorPrimitives.Exp(values, values);
        for (var start = 0; start < values.Length; start += classes)
        {
            var row = values.Slice(start, classes);
            Divide(row, classes < ShortRow ? ScalarSum(row) : TensorPrimitives.Sum(row));
        }
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

    /// <summary>Refuses class names that do not name each of the model's <paramref name="classes"/> outputs once.</summary>
    /// <exception cref="ArgumentException">The number of names differs from <paramref name="classes"/>.</exception>
    public static void CheckClassNames(IReadOnlyList<string>? classNames, int classes)
    {
        if (classNames is not null && classNames.Count != classes)
        {
            throw new ArgumentException(
                $"Expected {classes} class names, one per output of the model; InferenceOptions.ClassNames has {classNames.Count}.", "options");
        }
    }

    // Below this many classes a row is handled by scalar loops: a vectorised call per row of 10 costs more than it saves.
    private const int ShortRow = 32;

    private static void Subtract(Span<float> row, float max)
    {
        if (row.Length >= ShortRow)
        {
            TensorPrimitives.Subtract(row, max, row);
            return;
        }
        for (var k = 0; k < row.Length; k++)
        {
            row[k] -= max;
        }
    }

    private static void Divide(Span<float> row, float sum)
    {
        if (row.Length >= ShortRow)
        {
            TensorPrimitives.Divide(row, sum, row);
            return;
        }
        for (var k = 0; k < row.Length; k++)
        {
            row[k] /= sum;
        }
    }

    private static float ScalarSum(ReadOnlySpan<float> row)
    {
        var sum = 0f;
        foreach (var v in row)
        {
            sum += v;
        }
        return sum;
    }
}
