namespace NeuralNet.Torch;

/// <summary>
/// Declares that a custom module's <c>forward</c> is a chain of its children: it applies them one after another, each
/// child's output being the next child's input, and does nothing else. C# code cannot read a <c>forward</c>, so a module
/// with children is taken for such a chain only when it is a TorchSharp <c>Sequential</c> or implements this
/// interface: the ONNX exporter (<see cref="Onnx.OnnxExport"/>) and the MLP fast path of <c>Predict</c> and
/// <c>Freeze</c> (<see cref="Inference.PackedInference"/>) walk into it.
/// </summary>
/// <remarks>
/// <para>The declaration is checked, not trusted, before anything depends on it: the exporter and <c>Freeze</c> run
/// the module's own <c>forward</c> and the declared chain of children on the same random batch (in eval mode, without
/// autograd) and refuse the module, naming it, when they differ. So a residual connection, a scaling, or a child
/// applied twice is caught; a difference that a random batch of two samples cannot show (a branch on a rare input
/// value) is not. The live <c>model.Predict</c> relies on the declaration as it stands.</para>
/// <para>A forward that is not such a chain (a residual block's <c>x + f(x)</c>, a branch, a concatenation) cannot be
/// declared: <c>Predict</c> runs such a model on libtorch, and it is not exported from C# (export it from PyTorch with
/// <c>torch.onnx.export</c>, or serve it as TorchScript: <c>torch.jit.save</c> in PyTorch, <c>torch.jit.load</c> in
/// TorchSharp).</para>
/// <para>Every child returned by <c>named_children()</c> must be named exactly once: a child that <c>forward</c> skips
/// would carry parameters the chain leaves out, so a module with such a child cannot declare itself sequential.</para>
/// </remarks>
public interface ISequentialModule
{
    /// <summary>The names of the module's children (as <c>named_children()</c> gives them, i.e. the field names that
    /// <c>RegisterComponents</c> registered), in the order <c>forward</c> applies them.</summary>
    IReadOnlyList<string> SequentialChildren { get; }
}
