using System.Text.RegularExpressions;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary>The sizes of a recurrent layer (RNN, LSTM, GRU and their cells), read from its parameters' names and
/// shapes as PyTorch lays them out (<c>weight_ih_l0</c> <c>[gates x hidden, input]</c>, <c>weight_hh_l0</c>
/// <c>[gates x hidden, hidden]</c>, <c>_reverse</c> for the second direction): TorchSharp keeps these settings in
/// libtorch and exposes only the parameters.</summary>
/// <param name="Gates">1 for RNN, 3 for GRU, 4 for LSTM.</param>
/// <param name="InputSize">Features of the input.</param>
/// <param name="HiddenSize">Features of the hidden state.</param>
/// <param name="Layers">Stacked layers (1 for a cell).</param>
/// <param name="Directions">2 when bidirectional, else 1.</param>
/// <param name="Bias">Whether the layer has the bias vectors.</param>
internal sealed partial record RecurrentLayout(int Gates, long InputSize, long HiddenSize, int Layers, int Directions, bool Bias)
{
    /// <summary>The layout of a recurrent layer or cell; null for any other module.</summary>
    public static RecurrentLayout? Of(nn.Module module)
    {
        var (gates, cell) = module switch
        {
            RNN => (1, false),
            GRU => (3, false),
            LSTM => (4, false),
            RNNCell => (1, true),
            GRUCell => (3, true),
            LSTMCell => (4, true),
            _ => (0, false),
        };
        if (gates == 0)
        {
            return null;
        }
        var parameters = module.named_parameters(recurse: false).ToDictionary(p => p.name, p => p.parameter.shape);
        var suffix = cell ? "" : "_l0";
        if (!parameters.TryGetValue("weight_ih" + suffix, out var inputWeight) || !parameters.TryGetValue("weight_hh" + suffix, out var hiddenWeight))
        {
            throw new NotSupportedException($"its parameters are not laid out as PyTorch's (no weight_ih{suffix} and weight_hh{suffix}).");
        }
        var layers = cell ? 1 : parameters.Keys.Count(name => LayerWeight().IsMatch(name));
        var directions = parameters.ContainsKey("weight_ih_l0_reverse") ? 2 : 1;
        return new RecurrentLayout(gates, inputWeight[1], hiddenWeight[1], layers, directions, parameters.ContainsKey("bias_ih" + suffix));
    }

    /// <summary>Multiply-accumulates of one time step of one sample: for every layer and direction,
    /// <c>gates x hidden x (layer input + hidden)</c>, where a layer's input is the input size for the first layer
    /// and <c>directions x hidden</c> after it (the two matrix products of each gate; biases and the gates'
    /// element-wise products are not counted).</summary>
    public long MultiplyAccumulatesPerStep()
    {
        var total = 0L;
        for (var layer = 0; layer < Layers; layer++)
        {
            var layerInput = layer == 0 ? InputSize : Directions * HiddenSize;
            total += Directions * Gates * HiddenSize * (layerInput + HiddenSize);
        }
        return total;
    }

    [GeneratedRegex(@"^weight_ih_l\d+$")]
    private static partial Regex LayerWeight();
}
