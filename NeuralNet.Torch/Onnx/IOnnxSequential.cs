namespace NeuralNet.Torch.Onnx;

/// <summary>
/// Declares that a custom module's <c>forward</c> is sequential: it applies some of its child modules one after
/// another, each child's output being the next child's input, and does nothing else. The ONNX exporter cannot read a
/// C# <c>forward</c>, so a module with children is exported only when it is a TorchSharp <c>Sequential</c> or
/// implements this interface.
/// </summary>
/// <remarks>
/// <para>The declaration is checked, not trusted: before writing anything, <see cref="OnnxExport"/> runs the module's
/// own <c>forward</c> and the declared chain of children on the same random batch (in eval mode, without autograd)
/// and refuses the export, naming the module, when they differ. So a residual connection, a scaling, or a child
/// applied twice is caught; a difference that a random batch of two samples cannot show (a branch on a rare input
/// value) is not.</para>
/// <para>A forward that is not such a chain (a residual block's <c>x + f(x)</c>, a branch, a concatenation) cannot be
/// declared and is not exported from C#: export that model from PyTorch with <c>torch.onnx.export</c>, or serve it as
/// TorchScript (<c>torch.jit.save</c> in PyTorch, <c>torch.jit.load</c> in TorchSharp).</para>
/// <para>Every child returned by <c>named_children()</c> must be named exactly once: a child that <c>forward</c> skips
/// would carry parameters the exported graph leaves out, so a module with such a child cannot declare itself
/// sequential.</para>
/// </remarks>
public interface IOnnxSequential
{
    /// <summary>The names of the module's children (as <c>named_children()</c> gives them, i.e. the field names that
    /// <c>RegisterComponents</c> registered), in the order <c>forward</c> applies them.</summary>
    IReadOnlyList<string> SequentialChildren { get; }
}
