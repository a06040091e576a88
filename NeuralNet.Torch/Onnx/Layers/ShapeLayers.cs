using TorchSharp.Modules;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary><c>Flatten</c> and <c>Unflatten</c>, which keep the batch dimension: ONNX <c>Flatten(axis=1)</c> for the
/// usual <c>Flatten(1, -1)</c>, a <c>Reshape</c> to the known per-sample shape otherwise.</summary>
internal static class ShapeLayers
{
    public static IEnumerable<LayerMapping> Mappings { get; } =
    [
        LayerMapping.For<Flatten>(Flatten),
        LayerMapping.For<Unflatten>(Unflatten),
    ];

    // torch.flatten(x, start_dim, end_dim).
    private static string Flatten(Flatten flatten, LayerContext layer)
    {
        var start = flatten.start_dim < 0 ? flatten.start_dim + layer.Rank : flatten.start_dim;
        var end = flatten.end_dim < 0 ? flatten.end_dim + layer.Rank : flatten.end_dim;
        if (start < 0 || end >= layer.Rank || start > end)
        {
            throw layer.Misfit($"(start_dim={flatten.start_dim}, end_dim={flatten.end_dim}) flattens dimensions its input lacks");
        }
        if (start == 0)
        {
            throw layer.Refuse("start_dim=0", "it flattens the batch dimension, which the exported graph keeps dynamic");
        }
        var shape = layer.Shape;
        var merged = shape.Skip((int)start - 1).Take((int)(end - start + 1)).Aggregate(1L, (a, b) => a * b);
        var next = shape.Take((int)start - 1).Append(merged).Concat(shape.Skip((int)end)).ToList();
        var output = start == 1 && end == layer.Rank - 1
            ? layer.Node("Flatten", [layer.Input], GraphWriter.Int("axis", 1))
            : Reshape(layer, next);
        layer.Reshape(next);
        return output;
    }

    // tensor.unflatten(dim, sizes): one size may be -1, inferred from the others.
    private static string Unflatten(Unflatten unflatten, LayerContext layer)
    {
        var dim = unflatten.dim < 0 ? unflatten.dim + layer.Rank : unflatten.dim;
        if (dim < 0 || dim >= layer.Rank)
        {
            throw layer.Misfit($"(dim={unflatten.dim}) splits a dimension its input lacks");
        }
        if (dim == 0)
        {
            throw layer.Refuse("dim=0", "it splits the batch dimension, which the exported graph keeps dynamic");
        }
        var sizes = unflatten.unflattened_size;
        var size = layer.Shape[(int)dim - 1];
        var known = sizes.Where(s => s != -1).Aggregate(1L, (a, b) => a * b);
        var inferred = sizes.Count(s => s == -1);
        if (sizes.Length == 0 || inferred > 1 || sizes.Any(s => s < 1 && s != -1) || known == 0
            || (inferred == 0 ? known != size : size % known != 0))
        {
            throw layer.Misfit($"(dim={unflatten.dim}, unflattened_size=[{string.Join(", ", sizes)}]) splits a dimension of another size");
        }
        var split = sizes.Select(s => s == -1 ? size / known : s);
        var next = layer.Shape.Take((int)dim - 1).Concat(split).Concat(layer.Shape.Skip((int)dim)).ToList();
        var output = Reshape(layer, next);
        layer.Reshape(next);
        return output;
    }

    // 0 copies the input's (dynamic) batch size.
    private static string Reshape(LayerContext layer, List<long> sample) =>
        layer.Node("Reshape", [layer.Input, layer.Int64s([0, .. sample])]);
}
