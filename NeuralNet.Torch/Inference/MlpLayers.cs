using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// The model's three Linear layers, read from its stack at the moment of the call: the packed path reads their live
/// parameters (no copy, so never stale), the bf16 path converts them.
/// </summary>
internal readonly struct MlpLayers
{
    private MlpLayers(Linear first, Linear second, Linear third, bool finalRelu)
    {
        First = first;
        Second = second;
        Third = third;
        FinalRelu = finalRelu;
    }

    public Linear First { get; }

    public Linear Second { get; }

    public Linear Third { get; }

    /// <summary>True for the documented variant (a ReLU after the last Linear).</summary>
    public bool FinalRelu { get; }

    /// <summary>Finds the layers, or says why the stack is not the documented or quickstart layout.</summary>
    public static bool TryGet(NeuralNetwork model, out MlpLayers layers, out string reason)
    {
        layers = default;
        var stack = model.Stack;
        var finalRelu = model.Variant == NeuralNetworkVariant.Documented;
        if (stack.Count != (finalRelu ? 6 : 5)
            || stack[0] is not Linear first || stack[1] is not ReLU
            || stack[2] is not Linear second || stack[3] is not ReLU
            || stack[4] is not Linear third || (finalRelu && stack[5] is not ReLU))
        {
            reason = "the model's linear_relu_stack is no longer Linear, ReLU, Linear, ReLU, Linear[, ReLU]";
            return false;
        }
        layers = new MlpLayers(first, second, third, finalRelu);
        reason = "";
        return true;
    }
}
