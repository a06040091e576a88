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
/// in order, each once, and nothing else), after the same check of its names as the exporter's;
/// <see cref="PackedInference.Freeze"/> also checks it against the model's own forward.</remarks>
internal sealed class MlpChain
{
    [ThreadStatic]
    private static List<(ModulePath?, nn.Module)>? _leaves;

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
        TryFind(model, null, out chain, out reason) || TryFind(model, ModulePath.Root, out chain, out reason);

    private static bool TryFind(nn.Module model, ModulePath? root, out MlpChain chain, out string reason)
    {
        // The calling thread's list, reused: the walk runs at every live prediction.
        var leaves = _leaves ??= new List<(ModulePath?, nn.Module)>(16);
        try
        {
            if (!Collect(model, root, leaves, out reason))
            {
                chain = null!;
                return false;
            }
            return Parse(leaves, out chain, out reason);
        }
        finally
        {
            leaves.Clear();
        }
    }

    // The leaves read as the grammar [Flatten] Linear (ReLU Linear)* [ReLU].
    private static bool Parse(List<(ModulePath? Path, nn.Module Module)> leaves, out MlpChain chain, out string reason)
    {
        chain = null!;
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
        var layers = new List<Linear>(8);
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
    private static bool Collect(nn.Module module, ModulePath? path, List<(ModulePath?, nn.Module)> leaves, out string reason)
    {
        reason = "";
        if (module is Flatten or Linear or ReLU)
        {
            leaves.Add((path, module));
            return true;
        }
        if (module.GetType() == typeof(Sequential))
        {
            var sequential = (Sequential)module;
            for (var i = 0; i < sequential.Count; i++)
            {
                if (!Collect((nn.Module)sequential[i], path is null ? null : new ModulePath(path, sequential, i), leaves, out reason))
                {
                    return false;
                }
            }
            return true;
        }
        if (module is not IOnnxSequential declared)
        {
            reason = $"{Describe((path, module))} is not Flatten, Linear, ReLU, a Sequential or an IOnnxSequential module";
            return false;
        }
        // The declared children, each named once and every child named (as the exporter requires); own tensors are
        // not looked for here (Freeze checks the whole chain against forward instead): this runs at every call.
        var names = declared.SequentialChildren ?? [];
        var children = module.named_children().ToList();
        if (names.Count != children.Count)
        {
            reason = $"{Describe((path, module))} declares IOnnxSequential with {names.Count} children, but it has {children.Count}";
            return false;
        }
        for (var i = 0; i < names.Count; i++)
        {
            var found = IndexOf(children, names[i]);
            if (found < 0 || IndexOf(names, names[i]) != i)
            {
                reason = $"{Describe((path, module))} declares IOnnxSequential with the children [{string.Join(", ", names)}], " +
                    $"but it has [{string.Join(", ", children.Select(c => c.name))}]";
                return false;
            }
            if (!Collect(children[found].module, path is null ? null : new ModulePath(path, names[i]), leaves, out reason))
            {
                return false;
            }
        }
        return true;
    }

    private static int IndexOf(List<(string Name, nn.Module Module)> children, string name)
    {
        for (var i = 0; i < children.Count; i++)
        {
            if (string.Equals(children[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    // The words naming a module; in the walk without paths nothing (the walk with paths gives the reason).
    private static string Describe((ModulePath? Path, nn.Module Module) leaf) =>
        leaf.Path is null ? "" : OnnxGraphBuilder.Describe(leaf.Path.ToString(), leaf.Module);

    // A module's dotted path (its named_modules() name), made into text only when a message needs it.
    private sealed class ModulePath
    {
        public static readonly ModulePath Root = new(null, "");

        private readonly ModulePath? _parent;
        private readonly string? _name;
        private readonly Sequential? _sequential;
        private readonly int _index;

        public ModulePath(ModulePath? parent, string name)
        {
            _parent = parent;
            _name = name;
        }

        public ModulePath(ModulePath parent, Sequential sequential, int index)
        {
            _parent = parent;
            _sequential = sequential;
            _index = index;
        }

        public override string ToString()
        {
            if (_parent is null)
            {
                return "";
            }
            var name = _name ?? _sequential!.named_children().ElementAt(_index).name;
            var parent = _parent.ToString();
            return parent.Length == 0 ? name : parent + "." + name;
        }
    }
}
