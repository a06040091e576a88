using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/dropout.py</c> <c>_DropoutNd.extra_repr</c>: <c>p=0.5, inplace=False</c> for
/// Dropout, Dropout1d/2d/3d, AlphaDropout and FeatureAlphaDropout.</summary>
internal static class DropoutText
{
    public static void AddTo(LayerTextTable table)
    {
        table.Add<Dropout>(m => Text(m.p, m.inplace));
        table.Add<Dropout1d>(m => Text(m.p, m.inplace));
        table.Add<Dropout2d>(m => Text(m.p, m.inplace));
        table.Add<Dropout3d>(m => Text(m.p, m.inplace));
        table.Add<AlphaDropout>(m => Text(m.p, m.inplace));
        table.Add<FeatureAlphaDropout>(m => Text(m.p, m.inplace));
    }

    private static string Text(double p, bool inplace) => $"p={PythonFormat.SettingRepr(p)}, inplace={PythonFormat.Repr(inplace)}";
}
