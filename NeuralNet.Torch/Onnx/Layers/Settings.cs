namespace NeuralNet.Torch.Onnx.Layers;

/// <summary>Reading a layer's per-dimension settings as libtorch reads them.</summary>
internal static class Settings
{
    /// <summary>One value per spatial dimension: <paramref name="values"/> as given, or its single value repeated
    /// (libtorch expands a one-element list); refuses another length or a value below <paramref name="minimum"/>.</summary>
    public static long[] PerDimension(LayerContext layer, string name, IReadOnlyList<long>? values, int spatial, long minimum)
    {
        if (values is null || (values.Count != 1 && values.Count != spatial) || values.Any(v => v < minimum))
        {
            var found = values is null ? "null" : $"[{string.Join(", ", values)}]";
            throw layer.Refuse($"{name}={found}", $"expected 1 or {spatial} values of at least {minimum}, as libtorch does");
        }
        return values.Count == spatial ? [.. values] : Enumerable.Repeat(values[0], spatial).ToArray();
    }
}
