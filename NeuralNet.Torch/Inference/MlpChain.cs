using NeuralNet.Torch.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// A module recognised by its structure as the chain <c>[Flatten] Linear (ReLU Linear)* [ReLU]</c>: the modules its
/// forward applies, found through TorchSharp <c>Sequential</c>s and <see cref="IOnnxSequential"/> children (in their
/// declared order), whatever the model's class, widths and depth.
/// </summary>
/// <remarks>Read at the moment of the call: the chain holds the live <see cref="Linear"/> modules, not their values.
/// An <see cref="IOnnxSequential"/> declaration is taken as the promise it is (its forward applies the named children
/// in order); <see cref="PackedInference.Freeze"/> also checks it against the model's own forward.</remarks>
internal sealed class MlpChain
{
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

    /// <summary>Finds the chain in <paramref name="model"/>, or says why it is not one.</summary>
    public static bool TryFind(nn.Module model, out MlpChain chain, out string reason)
    {
        chain = null!;
        var leaves = new List<(string Path, nn.Module Module)>();
        if (!Collect(model, "", leaves, out reason))
        {
            return false;
        }
        var i = 0;
        var flattens = false;
        for (; i < leaves.Count && leaves[i].Module is Flatten flatten; i++)
        {
            if (flatten.start_dim != 1 || flatten.end_dim != -1)
            {
                reason = $"{Describe(leaves[i])} flattens dimensions {flatten.start_dim} to {flatten.end_dim}, not 1 to -1";
                return false;
            }
            flattens = true;
        }
        var layers = new List<Linear>();
        var finalRelu = false;
        while (i < leaves.Count)
        {
            if (leaves[i].Module is not Linear linear)
            {
                reason = $"{Describe(leaves[i])} comes where the chain [Flatten] Linear (ReLU Linear)* [ReLU] needs a Linear";
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
                reason = $"{Describe(leaves[i])} follows a Linear where the chain [Flatten] Linear (ReLU Linear)* [ReLU] needs a ReLU or its end";
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

    // The modules forward applies, in order; false (with the reason) at the first module it cannot vouch for.
    private static bool Collect(nn.Module module, string path, List<(string, nn.Module)> leaves, out string reason)
    {
        reason = "";
        if (module is Flatten or Linear or ReLU)
        {
            leaves.Add((path, module));
            return true;
        }
        List<(string Name, nn.Module Module)> children;
        if (module.GetType() == typeof(Sequential))
        {
            children = module.named_children().ToList();
        }
        else if (module is IOnnxSequential declared)
        {
            try
            {
                children = OnnxGraphBuilder.DeclaredChildren(module, declared, path);
            }
            catch (NotSupportedException e)
            {
                reason = $"{Describe((path, module))} declares IOnnxSequential, but the declaration is refused ({e.Message})";
                return false;
            }
        }
        else
        {
            reason = $"{Describe((path, module))} is not Flatten, Linear, ReLU, a Sequential or an IOnnxSequential module";
            return false;
        }
        foreach (var (name, child) in children)
        {
            if (!Collect(child, path.Length == 0 ? name : path + "." + name, leaves, out reason))
            {
                return false;
            }
        }
        return true;
    }

    private static string Describe((string Path, nn.Module Module) leaf) => OnnxGraphBuilder.Describe(leaf.Path, leaf.Module);
}
