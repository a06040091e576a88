using NeuralNet.Torch.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Prediction;

/// <summary>What a model's first layer takes, read from its settings, so that a batch libtorch (or TorchSharp's own
/// check) refuses can be answered with the sample shape the model expects: Conv1d/2d/3d take <c>in_channels</c>
/// channels, Linear <c>in_features</c> values on the last dimension (or per sample after a <c>Flatten()</c>),
/// Embedding integer ids below its row count.</summary>
/// <remarks>The first layer is the first leaf of <see cref="ModuleChain"/>'s walk (registration order; an
/// <see cref="ISequentialModule"/>'s declared order), Dropout and Identity skipped (they keep the shape). Registration order need not be the order forward runs, so an expectation is named only when the input
/// breaks that layer's rule.</remarks>
internal static class InputExpectation
{
    /// <summary>"Expected samples of ... (the first layer, ..., takes ...); found ..." when the model's first layer is
    /// one of those above and <paramref name="input"/> breaks its rule; null otherwise.</summary>
    /// <param name="model">The model that refused the batch.</param>
    /// <param name="input">The batch as the model got it, <c>[N, ...]</c>.</param>
    /// <param name="given">The caller's tensor, whose shape and dtype the message names.</param>
    public static string? Describe(nn.Module model, Tensor input, Tensor given)
    {
        using var scope = NewDisposeScope();
        // The project's one module walk, into every module whose children it can order; where it stops, the leaves
        // found before are still the first layers.
        var leaves = new List<ChainLink>();
        ModuleChain.TryWalk(model, leaves, paths: true, isLeaf: null, acceptDeclared: null, acceptUndeclared: _ => true, out _);
        var first = leaves.FindIndex(l => l.Module is not (Dropout or Dropout1d or Dropout2d or Dropout3d or AlphaDropout or FeatureAlphaDropout or Identity));
        if (first < 0)
        {
            return null;
        }
        var (name, layer) = leaves[first];
        var sample = ShapeText.Of(given.shape.Skip(1));
        var found = $"found samples of shape {sample} (input {ShapeText.Of(given.shape)}, {given.dtype})";
        switch (layer)
        {
            case Convolution conv:
            {
                var spatial = conv.kernel_size.Length;
                if (input.dim() == spatial + 2 && input.size(1) == conv.in_channels)
                {
                    return null;
                }
                string[] axes = spatial switch { 1 => ["L"], 2 => ["H", "W"], _ => ["D", "H", "W"] };
                var channels = conv.in_channels == 1 ? "1 channel" : $"{conv.in_channels} channels";
                return $"Expected samples of shape [{conv.in_channels}, {string.Join(", ", axes)}] " +
                    $"(the first layer, {Describe(name, conv)}, takes {channels}); {found}";
            }
            case Linear linear:
            {
                if (input.dim() >= 2 && input.size(-1) == linear.in_features)
                {
                    return null;
                }
                return $"Expected samples of shape [..., {linear.in_features}] (the first layer, {Describe(name, linear)}, " +
                    $"takes {linear.in_features} features on the last dimension); {found}";
            }
            case Flatten { start_dim: 1, end_dim: -1 } flatten when NextLayer(leaves, first) is (var linearName, Linear linear):
            {
                var perSample = 1L;
                for (var d = 1; d < input.dim(); d++)
                {
                    perSample *= input.size(d);
                }
                if (input.dim() >= 2 && perSample == linear.in_features)
                {
                    return null;
                }
                return $"Expected samples of {linear.in_features} values, in any shape (the first layers, {Describe(name, flatten)} " +
                    $"and {Describe(linearName, linear)}, take {linear.in_features} features per sample); {found}, " +
                    $"{perSample} values each";
            }
            case Embedding { weight: { } weight } embedding:
            {
                var rows = weight.size(0);
                var isId = input.dtype is ScalarType.Int64 or ScalarType.Int32;
                var (lowest, highest) = isId && input.numel() > 0
                    ? (input.min().to_type(ScalarType.Int64).item<long>(), input.max().to_type(ScalarType.Int64).item<long>())
                    : (0L, 0L);
                if (isId && lowest >= 0 && highest < rows)
                {
                    return null;
                }
                var what = isId
                    ? $"found ids from {lowest} to {highest} in input {ShapeText.Of(given.shape)}"
                    : $"found input {ShapeText.Of(given.shape)} of dtype {given.dtype}";
                return $"Expected samples of token ids (int64 or int32) in [0, {rows}) (the first layer, {Describe(name, embedding)}, " +
                    $"looks them up); {what}";
            }
            default:
                return null;
        }
    }

    private static ChainLink? NextLayer(List<ChainLink> leaves, int index) =>
        index + 1 < leaves.Count ? leaves[index + 1] : null;

    private static string Describe(string name, nn.Module layer) =>
        name.Length == 0 ? ModuleText.Repr(layer) : $"'{name}' {ModuleText.Repr(layer)}";
}
