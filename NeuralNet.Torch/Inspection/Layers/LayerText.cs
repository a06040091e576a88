using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary>What PyTorch prints for one layer type: its <c>extra_repr</c>, and where PyTorch's <c>__repr__</c>
/// differs from <c>nn.Module</c>'s, its class name or its child lines.</summary>
internal sealed class LayerText
{
    /// <summary>The text inside the parentheses (PyTorch's <c>extra_repr()</c>); empty for none.</summary>
    public required Func<nn.Module, string> ExtraRepr { get; init; }

    /// <summary>The class name PyTorch prints, when it is not the TorchSharp type's name.</summary>
    public string? Name { get; init; }

    /// <summary>The child lines, when they are not <c>(key): repr(child)</c> for each of <c>named_children()</c>.
    /// Called with the module and a function that prints a child (given its key, for error paths).</summary>
    public Func<nn.Module, Func<string, nn.Module, string>, IReadOnlyList<string>>? ChildLines { get; init; }

    /// <summary>What stands for a setting PyTorch always prints but TorchSharp does not expose (never a guess).</summary>
    public const string Unknown = "?";

    /// <summary>A layer PyTorch prints as <c>Name()</c> plus its children: no settings.</summary>
    public static LayerText NoSettings { get; } = new() { ExtraRepr = _ => "" };
}
