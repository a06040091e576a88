namespace NeuralNet.Torch.Tests.Oracle;

/// <summary>Comparisons against the oracle that report the first difference: its line or element index and both
/// values (not a dump of two large values). They throw <see cref="AssertionException"/> themselves rather than call
/// Assert.Fail, which records the failure even where a test catches it, so their own tests can check the message.</summary>
internal static class OracleAssert
{
    /// <summary>Fails unless <paramref name="actual"/> equals <paramref name="expected"/> character for character,
    /// naming the first differing line.</summary>
    public static void SameText(string actual, string expected, string what)
    {
        if (string.Equals(actual, expected, StringComparison.Ordinal))
        {
            return;
        }
        var a = actual.Split('\n');
        var e = expected.Split('\n');
        for (var i = 0; i < Math.Max(a.Length, e.Length); i++)
        {
            var al = i < a.Length ? a[i] : "<no line>";
            var el = i < e.Length ? e[i] : "<no line>";
            if (!string.Equals(al, el, StringComparison.Ordinal))
            {
                throw new AssertionException($"{what}: line {i + 1} differs from PyTorch's.\n  torch:   {Visible(el)}\n  library: {Visible(al)}\n" +
                    $"whole text from torch:\n{expected}\nwhole text from the library:\n{actual}");
            }
        }
    }

    /// <summary>Fails unless every element is within <paramref name="tolerance"/> (absolute) of torch's, naming the
    /// first element that is not. NaN equals NaN; infinities must match exactly.</summary>
    public static void Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, string what)
    {
        if (actual.Length != expected.Length)
        {
            throw new AssertionException($"{what}: {actual.Length} values from the library, {expected.Length} from torch.");
        }
        for (var i = 0; i < actual.Length; i++)
        {
            if (!Near(actual[i], expected[i], tolerance))
            {
                throw new AssertionException($"{what}: element {i} is {R(actual[i])} in the library and {R(expected[i])} in torch " +
                    $"(difference {R(actual[i] - expected[i])}, tolerance {tolerance}).");
            }
        }
    }

    /// <summary>Fails unless the two arrays are identical bit for bit, naming the first differing element.</summary>
    public static void BitExact<T>(ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, string what) where T : struct, IEquatable<T>
    {
        if (actual.Length != expected.Length)
        {
            throw new AssertionException($"{what}: {actual.Length} values from the library, {expected.Length} from torch.");
        }
        for (var i = 0; i < actual.Length; i++)
        {
            if (!actual[i].Equals(expected[i]))
            {
                throw new AssertionException($"{what}: element {i} is {actual[i]} in the library and {expected[i]} in torch.");
            }
        }
    }

    /// <summary>Fails unless the sequences are equal, naming the first differing index.</summary>
    public static void SameSequence<T>(IReadOnlyList<T> actual, IReadOnlyList<T> expected, string what)
    {
        for (var i = 0; i < Math.Min(actual.Count, expected.Count); i++)
        {
            if (!EqualityComparer<T>.Default.Equals(actual[i], expected[i]))
            {
                throw new AssertionException($"{what}: item {i} is '{actual[i]}' in the library and '{expected[i]}' in torch.");
            }
        }
        if (actual.Count != expected.Count)
        {
            throw new AssertionException($"{what}: {actual.Count} items from the library, {expected.Count} from torch.");
        }
    }

    private static bool Near(float a, float e, double tolerance) =>
        float.IsNaN(e) ? float.IsNaN(a)
        : float.IsInfinity(e) ? a == e
        : !float.IsNaN(a) && Math.Abs((double)a - e) <= tolerance;

    private static string R(float v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static string Visible(string line) => line.Length == 0 ? "<empty>" : line;
}
