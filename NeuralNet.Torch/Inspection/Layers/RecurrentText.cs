using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/rnn.py</c>: <c>RNNBase.extra_repr</c> (RNN, LSTM, GRU) and
/// <c>RNNCellBase.extra_repr</c> (their cells). Sizes, <c>num_layers</c>, <c>bias</c> and <c>bidirectional</c> come
/// from the parameters (<see cref="RecurrentLayout"/>), <c>batch_first</c> from the field TorchSharp keeps for its
/// forward; <c>dropout</c> and the cells' <c>nonlinearity</c> live only in libtorch, so they are never printed
/// (PyTorch prints them only when not the defaults).</summary>
internal static class RecurrentText
{
    public static void AddTo(LayerTextTable table)
    {
        table.Add<RNN>(Layers);
        table.Add<LSTM>(Layers);
        table.Add<GRU>(Layers);
        table.Add<RNNCell>(Cell);
        table.Add<LSTMCell>(Cell);
        table.Add<GRUCell>(Cell);
    }

    private static string Layers(nn.Module module)
    {
        var layout = RecurrentLayout.Of(module)!;
        var text = $"{layout.InputSize}, {layout.HiddenSize}";
        if (layout.Layers != 1)
        {
            text += $", num_layers={layout.Layers}";
        }
        if (!layout.Bias)
        {
            text += ", bias=False";
        }
        if (PrivateField.Read<bool>(module, "_batch_first"))
        {
            text += ", batch_first=True";
        }
        if (layout.Directions == 2)
        {
            text += ", bidirectional=True";
        }
        return text;
    }

    private static string Cell(nn.Module module)
    {
        var layout = RecurrentLayout.Of(module)!;
        return $"{layout.InputSize}, {layout.HiddenSize}" + (layout.Bias ? "" : ", bias=False");
    }
}
