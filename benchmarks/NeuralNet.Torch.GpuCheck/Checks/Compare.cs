namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>Element-wise comparisons of what the CPU and CUDA computed.</summary>
internal static class Compare
{
    /// <summary>The largest absolute difference between two equally long arrays.</summary>
    public static double MaxAbsDiff(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"Expected arrays of one length; found {a.Count} and {b.Count}.", nameof(b));
        }
        var max = 0.0;
        for (var i = 0; i < a.Count; i++)
        {
            max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
        }
        return max;
    }

    /// <summary>Rows whose argmax differs, not counting near-ties: rows where the CPU's probabilities of the two
    /// classes are within <see cref="CheckOutput.Tolerance"/> of each other, which rounding may order either way.</summary>
    /// <param name="cpu">CPU probabilities, row by row.</param>
    /// <param name="other">The other device's probabilities, same layout.</param>
    /// <param name="classes">Values per row.</param>
    public static int ClassMismatches(IReadOnlyList<float> cpu, IReadOnlyList<float> other, int classes)
    {
        var mismatches = 0;
        for (var row = 0; row < cpu.Count / classes; row++)
        {
            var a = ArgMax(cpu, row * classes, classes);
            var b = ArgMax(other, row * classes, classes);
            if (a != b && Math.Abs(cpu[row * classes + a] - cpu[row * classes + b]) > CheckOutput.Tolerance)
            {
                mismatches++;
            }
        }
        return mismatches;
    }

    /// <summary>True when both arrays hold the same bits.</summary>
    public static bool BitExact(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceEqual(b);

    private static int ArgMax(IReadOnlyList<float> values, int start, int count)
    {
        var best = start;
        for (var i = start + 1; i < start + count; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best - start;
    }
}
