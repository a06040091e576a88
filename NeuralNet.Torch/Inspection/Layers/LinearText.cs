using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/linear.py</c>: Identity, Linear, Bilinear.</summary>
internal static class LinearText
{
    public static void AddTo(LayerTextTable table)
    {
        table.AddNoSettings(typeof(Identity));
        table.Add<Linear>(m => $"in_features={m.in_features}, out_features={m.out_features}, bias={PythonFormat.Repr(m.bias is not null)}");
        table.Add<Bilinear>(m =>
            $"in1_features={m.in1_features}, in2_features={m.in2_features}, out_features={m.out_features}, bias={PythonFormat.Repr(m.bias is not null)}");
    }
}
