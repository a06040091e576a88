using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/batchnorm.py</c>, <c>instancenorm.py</c> (both <c>_NormBase.extra_repr</c>) and
/// <c>normalization.py</c>: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm, LocalResponseNorm.</summary>
internal static class NormalizationText
{
    public static void AddTo(LayerTextTable table)
    {
        table.Add<BatchNorm>(m => NormBase(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats));
        table.Add<InstanceNorm>(m => NormBase(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats));
        table.Add<LayerNorm>(m =>
            $"{PythonFormat.Tuple(m.normalized_shape)}, eps={PythonFormat.SettingRepr(m.eps)}, elementwise_affine={PythonFormat.Repr(m.elementwise_affine)}");
        // TorchSharp keeps no num_channels: it is the weight's length when affine, and unknown otherwise.
        table.Add<GroupNorm>(m =>
            $"{m.num_groups}, {(m.weight is { } w ? PythonFormat.Repr(w.shape[0]) : LayerText.Unknown)}, eps={PythonFormat.SettingRepr(m.eps)}, affine={PythonFormat.Repr(m.affine)}");
        table.Add<LocalResponseNorm>(m =>
            $"{m.size}, alpha={PythonFormat.SettingRepr(m.alpha)}, beta={PythonFormat.SettingRepr(m.beta)}, k={PythonFormat.SettingRepr(m.k)}");
    }

    private static string NormBase(long features, double eps, double? momentum, bool affine, bool trackRunningStats) =>
        $"{features}, eps={PythonFormat.SettingRepr(eps)}, momentum={(momentum is { } m ? PythonFormat.SettingRepr(m) : "None")}, " +
        $"affine={PythonFormat.Repr(affine)}, track_running_stats={PythonFormat.Repr(trackRunningStats)}";
}
