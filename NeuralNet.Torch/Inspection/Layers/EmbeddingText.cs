using TorchSharp.Modules;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/sparse.py</c>: Embedding and EmbeddingBag. TorchSharp keeps their settings in
/// libtorch and exposes only the weight, so the sizes come from its shape; <c>padding_idx</c>, <c>max_norm</c>,
/// <c>norm_type</c>, <c>scale_grad_by_freq</c> and <c>sparse</c> (which PyTorch prints only when set) are left out,
/// and EmbeddingBag's <c>mode</c> (which PyTorch always prints) shows as <c>mode=?</c>.</summary>
internal static class EmbeddingText
{
    public static void AddTo(LayerTextTable table)
    {
        table.Add<Embedding>(m => Sizes(m.weight));
        table.Add<EmbeddingBag>(m => $"{Sizes(m.weight)}, mode={LayerText.Unknown}");
    }

    private static string Sizes(Parameter? weight) =>
        weight is { } w ? $"{w.shape[0]}, {w.shape[1]}" : $"{LayerText.Unknown}, {LayerText.Unknown}";
}
