using System.Globalization;

namespace NeuralNet.Torch;

/// <summary>A shape as the library's messages and summaries write it: <c>[64, 1, 28, 28]</c>.</summary>
internal static class ShapeText
{
    /// <summary>The dimensions in brackets, comma-separated, in the invariant culture; <c>[]</c> for a 0-dim tensor.</summary>
    public static string Of(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
