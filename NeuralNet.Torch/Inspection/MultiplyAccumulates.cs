using NeuralNet.Torch.Inspection.Layers;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>How each layer counts multiply-accumulates in a <see cref="ModelSummary"/>: the one table of that rule.
/// Counts are for a whole call (all samples of the batch); biases, activations and pooling are not counted, and
/// normalisation layers count 0 (element-wise scale and shift, no matrix product).</summary>
/// <remarks>The rules are documented for users on <see cref="ModelSummary.Create(nn.Module{Tensor, Tensor}, Tensor)"/>;
/// the oracle's forward hooks (<c>Oracle/Scripts/summary.py</c>) compute the same.</remarks>
internal static class MultiplyAccumulates
{
    /// <summary>True when the layer has a rule above.</summary>
    public static bool HasRule(nn.Module module) => module is Linear or Bilinear or Convolution || IsZero(module) || RecurrentLayout.Of(module) is not null;

    /// <summary>True when the rule gives 0 whatever the input (so the layer need not be seen running).</summary>
    public static bool IsZero(nn.Module module) => module is Embedding or EmbeddingBag or NormBase or LayerNorm or GroupNorm;

    /// <summary>The count for one call with the given first-input and output shapes; null when the layer has no rule.</summary>
    public static long? Count(nn.Module module, long[] inputShape, long[] outputShape)
    {
        var outputs = outputShape.Aggregate(1L, (a, d) => a * d);
        return module switch
        {
            Linear linear => linear.in_features * outputs,
            Bilinear bilinear => bilinear.in1_features * bilinear.in2_features * outputs,
            // A transposed convolution scatters every input element over a kernel-sized window of each output channel.
            ConvolutionTranspose conv => inputShape.Aggregate(1L, (a, d) => a * d) * (conv.out_channels / conv.groups) * conv.kernel_size.Aggregate(1L, (a, k) => a * k),
            Convolution conv => outputs * (conv.in_channels / conv.groups) * conv.kernel_size.Aggregate(1L, (a, k) => a * k),
            _ when IsZero(module) => 0,
            _ when RecurrentLayout.Of(module) is { } layout =>
                inputShape.Aggregate(1L, (a, d) => a * d) / layout.InputSize * layout.MultiplyAccumulatesPerStep(),
            _ => null,
        };
    }
}
