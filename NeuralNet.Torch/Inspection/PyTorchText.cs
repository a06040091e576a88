using NeuralNet.Torch.Native;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>
/// The text PyTorch prints for modules, tensors and sizes: <c>repr(module)</c>, <c>repr(tensor)</c> and
/// <c>repr(torch.Size)</c>, character for character. TorchSharp's own <c>ToString()</c> prints none of these.
/// </summary>
public static class PyTorchText
{
    /// <summary>PyTorch's <c>repr(module)</c> (what <c>print(model)</c> shows), for any TorchSharp module.</summary>
    /// <param name="module">The module; it is not changed (nothing is registered, run or moved).</param>
    /// <returns>The text, lines separated by <c>\n</c>, with nothing after the final <c>)</c>.</returns>
    /// <remarks>
    /// <para>A module with children prints <c>TypeName(</c>, then each child as <c>(key): repr(child)</c>, indented two
    /// spaces per level, then <c>)</c> on its own line; <c>Sequential</c> children are keyed <c>0</c>, <c>1</c>, ....
    /// A module without children prints <c>TypeName(extra)</c>, or <c>TypeName()</c> when it has no extra text.</para>
    /// <para>The extra text is each layer's <c>extra_repr</c>, read from the TorchSharp module's settings, for every
    /// layer type of TorchSharp 0.107's <c>torch.nn</c>: convolutions
    /// (<c>Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))</c>), pooling, normalisation, dropout,
    /// embeddings, recurrent layers (<c>LSTM(16, 32, num_layers=2, batch_first=True, bidirectional=True)</c>),
    /// activations, reshaping/padding/distance layers, containers (ModuleList as PyTorch 2.x prints it, with runs of
    /// equal children collapsed to <c>(0-2): 3 x ...</c>; ModuleDict, ParameterList, ParameterDict) and losses. Floats
    /// print as Python prints them (<c>eps=1e-05</c>, <c>momentum=0.1</c>); one that is exactly a float32 value, as a
    /// C# float literal widened to double is, prints as the float was written (<c>Dropout(0.2f)</c> prints
    /// <c>p=0.2</c>, not <c>p=0.20000000298023224</c>). Sizes that PyTorch prints as the user wrote
    /// them (pooling's <c>kernel_size=2</c> or <c>(2, 3)</c>, Upsample, Fold) print as the int when all elements are
    /// equal and as the tuple otherwise, since TorchSharp keeps only the array; convolutions always print tuples, as
    /// PyTorch does.</para>
    /// <para>Settings TorchSharp keeps only inside libtorch are never guessed. Those PyTorch prints only when set are
    /// left out: Embedding's <c>padding_idx</c>, <c>max_norm</c>, <c>norm_type</c>, <c>scale_grad_by_freq</c>,
    /// <c>sparse</c>; RNN/LSTM/GRU's <c>dropout</c>; RNNCell's <c>nonlinearity</c>. Those PyTorch always prints show as
    /// <c>?</c>: EmbeddingBag's <c>mode=?</c>, GroupNorm's channel count without affine parameters
    /// (<c>GroupNorm(3, ?, ...)</c>), a TorchScript module's <c>RecursiveScriptModule(original_name=?)</c>.
    /// TorchSharp's transformer blocks (MultiheadAttention, TransformerEncoderLayer, TransformerEncoder,
    /// TransformerDecoderLayer, TransformerDecoder, Transformer) are single libtorch modules without child modules, so
    /// they print their name only, <c>TransformerEncoderLayer()</c>, where PyTorch prints their children.</para>
    /// <para>A module of your own type prints its class name, its <see cref="IExtraRepr"/> text if it implements it,
    /// and its children.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> is null.</exception>
    /// <exception cref="NotSupportedException">A module's text cannot be known: a TorchSharp type this library has no
    /// entry for, a setting that cannot be read (TorchSharp 0.107's AdaptiveMaxPool3d drops its output_size), or a
    /// ParameterList/ParameterDict parameter of a complex or quantized dtype. The message names the module's path
    /// (<c>'features.1'</c>) and type.</exception>
    public static string ToPyTorchString(this nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return ModuleText.Repr(module);
    }

    /// <summary>PyTorch's <c>repr(tensor)</c> (what <c>print(tensor)</c> shows) with the default print options.</summary>
    /// <param name="tensor">The tensor, of any shape, on any device; it is not changed or disposed.</param>
    /// <param name="gradFn">The name of the autograd function that made the tensor, as PyTorch prints it (e.g.
    /// <c>SliceBackward0</c> for <c>param[:2]</c>, <c>AddmmBackward0</c> for a <c>Linear</c> output on a 2-D input,
    /// <c>ReluBackward0</c> for a <c>ReLU</c> output). Only for tensors that have one (they require grad and are
    /// not leaves); null when not known.</param>
    /// <returns>The text, e.g. <c>tensor([[ 0.4158, -0.0130], [...]], grad_fn=&lt;AddmmBackward0&gt;)</c> over
    /// several lines; nothing follows the final <c>)</c>.</returns>
    /// <remarks>
    /// <para>Data: 4 decimals; a sign column only when a shown value is negative; integer-valued floats as
    /// <c>1.</c>; scientific notation (<c>1.0000e+05</c>) when the nonzero finite shown values span more than a
    /// factor of 1000, exceed 1e8, or (non-integer values) go below 1e-4; <c>nan</c>, <c>inf</c>. Tensors of more
    /// than 1000 elements are summarised: 3 items at each end of every dimension longer than 6, with <c>...</c>
    /// between, and only those items decide the format. Rows wrap at 80 characters, continuation lines aligned
    /// after <c>tensor(</c>. A 0-dim tensor prints <c>tensor(3.1416)</c>; an empty one <c>tensor([])</c> (plus
    /// <c>size=(...)</c> unless its shape is <c>[0]</c>, and its dtype unless float32).</para>
    /// <para>Suffixes, wrapped as PyTorch wraps them: <c>device='cuda:0'</c> for a tensor not on the CPU;
    /// <c>dtype=torch.float64</c> (etc.) unless the dtype is the default float dtype, int64 or bool;
    /// <c>grad_fn=&lt;name&gt;</c> for a tensor made by a differentiable operation, or <c>requires_grad=True</c> for a
    /// leaf that requires grad. A <see cref="TorchSharp.Modules.Parameter"/> prints, as in PyTorch, as
    /// <c>Parameter containing:</c>, a new line, then the tensor text.</para>
    /// <para>TorchSharp 0.107 cannot tell the name of a tensor's grad_fn (it exposes <c>requires_grad</c> and
    /// <c>is_leaf</c>, not the autograd node). So where the tensor has a grad_fn and <paramref name="gradFn"/> is
    /// null, <c>grad_fn=&lt;?&gt;</c> is printed: the suffix is where PyTorch puts it, and the name is not made up.</para>
    /// <para>Only the shown items are copied to managed memory (so a large tensor prints fast); every temporary
    /// tensor is disposed.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="tensor"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradFn"/> is empty or white space, or was given for a
    /// tensor that has no grad_fn (a leaf, or a tensor that does not require grad).</exception>
    /// <exception cref="NotSupportedException">The tensor is sparse, or its dtype is complex or quantized.</exception>
    public static string ToPyTorchString(this Tensor tensor, string? gradFn = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        TorchRuntime.EnsureInitialized();
        return TensorText.Format(tensor, TensorText.AutogradSuffix(tensor, gradFn));
    }

    /// <summary>PyTorch's <c>repr(torch.Size(shape))</c>: <c>torch.Size([512, 784])</c>, and <c>torch.Size([])</c>
    /// for a 0-dim shape.</summary>
    /// <param name="shape">The sizes of the dimensions, e.g. <c>tensor.shape</c>.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    public static string ToTorchSize(this long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return "torch.Size([" + string.Join(", ", shape.Select(PythonFormat.Repr)) + "])";
    }
}
