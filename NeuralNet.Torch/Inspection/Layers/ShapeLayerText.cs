using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary>Layers that reshape, resample, pad or compare: <c>flatten.py</c>, <c>upsampling.py</c>,
/// <c>pixelshuffle.py</c>, <c>channelshuffle.py</c>, <c>padding.py</c>, <c>fold.py</c> and <c>distance.py</c>.
/// Upsample's <c>size</c> and <c>scale_factor</c> and Fold/Unfold's sizes print as the int (float) when all
/// elements are equal and as the tuple otherwise; padding layers print their padding as the tuple PyTorch stores.</summary>
internal static class ShapeLayerText
{
    public static void AddTo(LayerTextTable table)
    {
        table.Add<Flatten>(m => $"start_dim={m.start_dim}, end_dim={m.end_dim}");
        table.Add<Unflatten>(m => $"dim={m.dim}, unflattened_size={PythonFormat.Tuple(m.unflattened_size)}");
        table.Add<Upsample>(Upsample);
        table.Add<PixelShuffle>(m => $"upscale_factor={m.upscale_factor}");
        table.Add<PixelUnshuffle>(m => $"downscale_factor={m.downscale_factor}");
        table.Add<ChannelShuffle>(m => $"groups={m.groups}");

        table.Add<ZeroPad2d>(m => PythonFormat.Tuple(m.padding));
        table.Add<ConstantPad1d>(Constant);
        table.Add<ConstantPad2d>(Constant);
        table.Add<ConstantPad3d>(Constant);
        table.Add<ReflectionPad1d>(m => PythonFormat.Tuple(m.padding));
        table.Add<ReflectionPad2d>(m => PythonFormat.Tuple(m.padding));
        table.Add<ReflectionPad3d>(m => PythonFormat.Tuple(m.padding));
        table.Add<ReplicationPad1d>(m => PythonFormat.Tuple(m.padding));
        table.Add<ReplicationPad2d>(m => PythonFormat.Tuple(m.padding));
        table.Add<ReplicationPad3d>(m => PythonFormat.Tuple(m.padding));

        table.Add<Fold>(m =>
            $"output_size={Pair(m.output_size)}, kernel_size={Pair(m.kernel_size)}, dilation={Pair(m.dilation)}, padding={Pair(m.padding)}, stride={Pair(m.stride)}");
        table.Add<Unfold>(m =>
            $"kernel_size={Pair(m.kernel_size)}, dilation={Pair(m.dilation)}, padding={Pair(m.padding)}, stride={Pair(m.stride)}");

        // PyTorch's distance modules have no extra_repr.
        table.AddNoSettings(typeof(CosineSimilarity), typeof(PairwiseDistance));
    }

    private static string Upsample(Upsample m)
    {
        var scale = m.scale_factor.ToArray();
        var info = scale.Length > 0 ? "scale_factor=" + PythonFormat.FloatOrTuple(scale) : "size=" + PythonFormat.IntOrTuple(m.size.ToArray());
        return info + ", mode=" + m.mode.ToString().ToLowerInvariant();
    }

    private static string Constant(PadBase m) => $"padding={PythonFormat.Tuple(m.padding)}, value={PythonFormat.SettingRepr(m.value)}";

    private static string Pair((long, long) value) => PythonFormat.IntOrTuple([value.Item1, value.Item2]);
}
