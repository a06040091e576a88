using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/transformer.py</c> and <c>activation.py</c>'s MultiheadAttention. PyTorch prints
/// these only through their children (<c>(self_attn): MultiheadAttention(...)</c>, <c>(linear1): Linear(...)</c>,
/// ...). TorchSharp's are single libtorch modules with no child modules (their parameters are named
/// <c>self_attn.in_proj_weight</c>, <c>linear1.weight</c>, ... on the module itself) and no readable settings, so
/// the truth about the TorchSharp module is its name alone: <c>TransformerEncoderLayer()</c>.</summary>
internal static class TransformerText
{
    public static void AddTo(LayerTextTable table) => table.AddNoSettings(
        typeof(MultiheadAttention), typeof(TransformerEncoderLayer), typeof(TransformerEncoder),
        typeof(TransformerDecoderLayer), typeof(TransformerDecoder), typeof(Transformer));
}
