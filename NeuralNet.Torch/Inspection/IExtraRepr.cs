namespace NeuralNet.Torch.Inspection;

/// <summary>
/// PyTorch's <c>extra_repr</c> hook: a module that implements this interface supplies the text printed inside its
/// parentheses by <see cref="PyTorchText.ToPyTorchString(TorchSharp.torch.nn.Module)"/>.
/// </summary>
/// <remarks>
/// <para>Return what PyTorch's <c>extra_repr()</c> would return, e.g. <c>in_features=784, out_features=512,
/// bias=True</c> (Python spelling: <c>True</c>/<c>False</c>, <c>1.0</c>). An empty string means no extra text:
/// a module without children then prints <c>Name()</c>.</para>
/// <para>A single line with no children prints on one line, <c>Name(extra)</c>; several lines (separated by
/// <c>\n</c>), or any children, print one per line, indented two spaces, before the children.</para>
/// <para>When a module implements this interface, its text replaces what this library would print for the
/// TorchSharp layer it derives from.</para>
/// </remarks>
public interface IExtraRepr
{
    /// <summary>The extra text; empty for none.</summary>
    /// <returns>The text PyTorch's <c>extra_repr()</c> would return for this module.</returns>
    string ExtraRepr();
}
