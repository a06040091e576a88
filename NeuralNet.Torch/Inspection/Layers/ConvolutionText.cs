using TorchSharp;
using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/conv.py</c> <c>_ConvNd.extra_repr</c>, for Conv1d/2d/3d and ConvTranspose1d/2d/3d:
/// channels, <c>kernel_size</c> and <c>stride</c> always (as tuples, <c>(5,)</c> in 1-d, as PyTorch stores them),
/// then <c>padding</c>, <c>dilation</c>, <c>output_padding</c>, <c>groups</c>, <c>bias=False</c> and
/// <c>padding_mode</c> only where they are not the defaults.</summary>
internal static class ConvolutionText
{
    public static void AddTo(LayerTextTable table) => table.Add<Convolution>(ExtraRepr);

    private static string ExtraRepr(Convolution conv)
    {
        var text = $"{conv.in_channels}, {conv.out_channels}, kernel_size={PythonFormat.Tuple(conv.kernel_size)}, stride={PythonFormat.Tuple(conv.stride)}";
        if (conv.padding_type is { } padding)
        {
            // padding='same' / 'valid': a string is never equal to the all-zero tuple, so PyTorch always prints it.
            text += $", padding={(padding == Padding.Same ? "same" : "valid")}";
        }
        else if (conv.padding is { } amounts && amounts.Any(p => p != 0))
        {
            text += $", padding={PythonFormat.Tuple(amounts)}";
        }
        if (conv.dilation.Any(d => d != 1))
        {
            text += $", dilation={PythonFormat.Tuple(conv.dilation)}";
        }
        if (conv.output_padding.Any(p => p != 0))
        {
            text += $", output_padding={PythonFormat.Tuple(conv.output_padding)}";
        }
        if (conv.groups != 1)
        {
            text += $", groups={conv.groups}";
        }
        if (conv.bias is null)
        {
            text += ", bias=False";
        }
        if (conv.padding_mode != PaddingModes.Zeros)
        {
            text += $", padding_mode={conv.padding_mode.ToString().ToLowerInvariant()}";
        }
        return text;
    }
}
