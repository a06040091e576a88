using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// A module recognised by its structure as the chain <c>[Flatten] Linear (ReLU Linear)* [ReLU]</c>: the modules its
/// forward applies, found by <see cref="ModuleChain"/> through TorchSharp <c>Sequential</c>s and
/// <see cref="ISequentialModule"/> children (in their declared order), whatever the model's class, widths and depth.
/// </summary>
/// <remarks>Read at the moment of the call: the chain holds the live <see cref="Linear"/> modules, not their values.
/// An <see cref="ISequentialModule"/> declaration is taken as the promise it is (its forward applies the named children
/// in order, each once, and nothing else), after the same check of its names as the exporter's;
/// <see cref="PackedInference.Freeze"/> also checks it against the model's own forward.</remarks>
internal sealed class MlpChain
{
    private static readonly Func<nn.Module, bool> IsLayer = module => module is Flatten or Linear or ReLU;

    [ThreadStatic]
    private static List<ChainLink>? _leaves;

    private MlpChain(Linear[] layers, bool flattensInput, bool finalRelu)
    {
        Layers = layers;
        FlattensInput = flattensInput;
        FinalRelu = finalRelu;
    }

    /// <summary>The Linear layers in order; a ReLU follows each but the last.</summary>
    public Linear[] Layers { get; }

    /// <summary>True when the chain starts with <c>Flatten(start_dim=1, end_dim=-1)</c>: any <c>[N, ...]</c> input with
    /// the first layer's input width per sample fits; otherwise only <c>[N, in]</c> does.</summary>
    public bool FlattensInput { get; }

    /// <summary>True when a ReLU follows the last Linear.</summary>
    public bool FinalRelu { get; }

    /// <summary>The layers' live weight and bias tensors, in order.</summary>
    public (Tensor Weight, Tensor? Bias)[] Tensors()
    {
        var tensors = new (Tensor, Tensor?)[Layers.Length];
        for (var l = 0; l < tensors.Length; l++)
        {
            tensors[l] = (Layers[l].weight, Layers[l].bias);
        }
        return tensors;
    }

    /// <summary>Finds the chain in <paramref name="model"/>, or says why it is not one.</summary>
    /// <remarks>Called at every prediction, so the walk first runs without the modules' paths; only when the model is
    /// not a chain does it run again with them, for the reason.</remarks>
    public static bool TryFind(nn.Module model, out MlpChain chain, out string reason) =>
        TryFind(model, paths: false, out chain, out reason) || TryFind(model, paths: true, out chain, out reason);

    /// <summary>Finds the chain in <paramref name="model"/>, without the words of why not: the walk of every live
    /// prediction, which needs the reason only to refuse bfloat16.</summary>
    public static bool TryFind(nn.Module model, out MlpChain chain) => TryFind(model, paths: false, out chain, out _);

    private static bool TryFind(nn.Module model, bool paths, out MlpChain chain, out string reason)
    {
        // The calling thread's list, reused: the walk runs at every live prediction.
        var leaves = _leaves ??= new List<ChainLink>(16);
        try
        {
            // Own tensors of a declaring module are not looked for here (Freeze checks the whole chain against
            // forward instead): this runs at every call. Nor is an undeclared module walked as a chain, as the
            // exporter does: that needs a probe forward to confirm it, which this live path does not run.
            if (!ModuleChain.TryWalk(model, leaves, paths, IsLayer, acceptDeclared: null, acceptUndeclared: null, out var stop))
            {
                chain = null!;
                reason = paths ? Reason(stop) : "";
                return false;
            }
            return Parse(leaves, paths, out chain, out reason);
        }
        finally
        {
            leaves.Clear();
        }
    }

    // The leaves read as the grammar [Flatten] Linear (ReLU Linear)* [ReLU].
    private static bool Parse(List<ChainLink> leaves, bool paths, out MlpChain chain, out string reason)
    {
        chain = null!;
        var i = 0;
        var flattens = false;
        for (; i < leaves.Count && leaves[i].Module is Flatten flatten; i++)
        {
            if (flatten.start_dim != 1 || flatten.end_dim != -1)
            {
                reason = $"{Describe(leaves[i], paths)} flattens dimensions {flatten.start_dim} to {flatten.end_dim}, not 1 to -1";
                return false;
            }
            flattens = true;
        }
        var layers = new List<Linear>(8);
        var finalRelu = false;
        while (i < leaves.Count)
        {
            if (leaves[i].Module is not Linear linear)
            {
                reason = $"{Describe(leaves[i], paths)} comes where the chain [Flatten] Linear (ReLU Linear)* [ReLU] needs a Linear";
                return false;
            }
            layers.Add(linear);
            i++;
            if (i == leaves.Count)
            {
                break;
            }
            if (leaves[i].Module is not ReLU)
            {
                reason = $"{Describe(leaves[i], paths)} follows a Linear where the chain [Flatten] Linear (ReLU Linear)* [ReLU] needs a ReLU or its end";
                return false;
            }
            i++;
            finalRelu = i == leaves.Count;
        }
        if (layers.Count == 0)
        {
            reason = "the model has no Linear layer";
            return false;
        }
        chain = new MlpChain([.. layers], flattens, finalRelu);
        reason = "";
        return true;
    }

    private static string Reason(ChainStop stop)
    {
        var module = ModuleChain.Describe(stop.Path, stop.Module);
        return stop.Kind switch
        {
            ChainStopKind.NotTensorToTensor => $"{module} declares ISequentialModule, but its forward does not take and return one tensor",
            ChainStopKind.Misdeclared when stop.Declared.Count != stop.Children.Count =>
                $"{module} declares ISequentialModule with {stop.Declared.Count} children, but it has {stop.Children.Count}",
            ChainStopKind.Misdeclared =>
                $"{module} declares ISequentialModule with the children [{string.Join(", ", stop.Declared)}], " +
                $"but it has [{string.Join(", ", stop.Children)}]",
            _ => $"{module} is not Flatten, Linear, ReLU, a Sequential or an ISequentialModule module",
        };
    }

    // The words naming a module; in the walk without paths nothing (the walk with paths gives the reason).
    private static string Describe(ChainLink leaf, bool paths) => paths ? ModuleChain.Describe(leaf.Path, leaf.Module) : "";
}
