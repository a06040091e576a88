using System.Globalization;
using System.Text;

namespace NeuralNet.Torch.Training;

/// <summary>Counts of (actual class, predicted class) pairs over an evaluation: row = the label, column = the
/// argmax of the logits (scikit-learn's <c>confusion_matrix(y_true, y_pred)</c> layout).</summary>
/// <remarks>Immutable. The diagonal holds the correct predictions; a row sums to that class's sample count.</remarks>
public sealed class ConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>Creates a matrix from its counts, row-major (<c>counts[actual * classCount + predicted]</c>).</summary>
    /// <param name="classCount">Classes, C; at least 1.</param>
    /// <param name="counts">C * C non-negative counts, copied.</param>
    /// <exception cref="ArgumentNullException"><paramref name="counts"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="classCount"/> is less than 1, <paramref name="counts"/>
    /// does not hold C * C values, or a count is negative.</exception>
    public ConfusionMatrix(int classCount, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        if (classCount < 1)
        {
            throw new ArgumentException($"Expected at least 1 class; found {classCount}.", nameof(classCount));
        }
        if (counts.Count != (long)classCount * classCount)
        {
            throw new ArgumentException($"Expected {classCount} x {classCount} = {(long)classCount * classCount} counts; found {counts.Count}.", nameof(counts));
        }
        if (counts.Any(c => c < 0))
        {
            throw new ArgumentException("Expected non-negative counts.", nameof(counts));
        }
        ClassCount = classCount;
        _counts = counts.ToArray();
    }

    /// <summary>The number of classes, C (the model's output width).</summary>
    public int ClassCount { get; }

    /// <summary>How many samples of class <paramref name="actual"/> were predicted as <paramref name="predicted"/>.</summary>
    /// <param name="actual">The label, 0 .. C - 1.</param>
    /// <param name="predicted">The argmax, 0 .. C - 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A class is outside 0 .. C - 1.</exception>
    public long this[int actual, int predicted]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(actual);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(actual, ClassCount);
            ArgumentOutOfRangeException.ThrowIfNegative(predicted);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(predicted, ClassCount);
            return _counts[actual * ClassCount + predicted];
        }
    }

    /// <summary>All samples counted.</summary>
    public long Total => _counts.Sum();

    /// <summary>The correct predictions (the diagonal's sum).</summary>
    public long Correct => Enumerable.Range(0, ClassCount).Sum(c => _counts[c * ClassCount + c]);

    /// <summary>The fraction of class <paramref name="actual"/>'s samples predicted correctly (its recall); NaN for a
    /// class with no samples.</summary>
    /// <param name="actual">The class, 0 .. C - 1.</param>
    /// <returns>In <c>[0, 1]</c>, or NaN.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="actual"/> is outside 0 .. C - 1.</exception>
    public double Recall(int actual)
    {
        var row = Enumerable.Range(0, ClassCount).Sum(p => this[actual, p]);
        return row == 0 ? double.NaN : (double)this[actual, actual] / row;
    }

    /// <summary>The counts as rows (one per actual class), a copy.</summary>
    /// <returns>C arrays of C counts.</returns>
    public long[][] ToRows() =>
        Enumerable.Range(0, ClassCount).Select(a => _counts.AsSpan(a * ClassCount, ClassCount).ToArray()).ToArray();

    /// <summary>A text table: a header of predicted classes, then one row per actual class, columns right-aligned.</summary>
    /// <param name="classNames">Names by class (the first C are used); null numbers the classes.</param>
    /// <returns>Lines separated by <c>\n</c>, the last one ended too.</returns>
    public string ToText(IReadOnlyList<string>? classNames = null)
    {
        string Name(int c) => classNames is not null && c < classNames.Count ? classNames[c] : c.ToString(CultureInfo.InvariantCulture);
        var names = Enumerable.Range(0, ClassCount).Select(Name).ToArray();
        var width = Math.Max(names.Max(n => n.Length), _counts.Max().ToString(CultureInfo.InvariantCulture).Length);
        var rowHeader = Math.Max("actual \\ predicted".Length, names.Max(n => n.Length));
        var text = new StringBuilder();
        text.Append("actual \\ predicted".PadRight(rowHeader));
        foreach (var n in names)
        {
            text.Append("  ").Append(n.PadLeft(width));
        }
        text.Append('\n');
        for (var a = 0; a < ClassCount; a++)
        {
            text.Append(names[a].PadRight(rowHeader));
            for (var p = 0; p < ClassCount; p++)
            {
                text.Append("  ").Append(this[a, p].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            }
            text.Append('\n');
        }
        return text.ToString();
    }
}
