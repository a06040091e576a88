using Google.Protobuf;
using NeuralNet.Torch.Native;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Onnx;

/// <summary>
/// Exports a model to a standard ONNX file that ONNX Runtime, Triton Inference Server, KServe and other ONNX tools
/// load: opset <see cref="OpsetVersion"/>, one float32 input and one output with a dynamic batch dimension, and the
/// weights as initializers named by their state_dict keys.
/// </summary>
/// <remarks>
/// <para><b>What exports.</b> A model whose forward is a chain of these layers, nested in any way through
/// <c>Sequential</c>, through custom modules that declare their forward sequential with
/// <see cref="ISequentialModule"/> (as <see cref="NeuralNetwork"/> does), and through custom modules without tensors
/// of their own whose forward applies their children in registration order, which needs no declaration: a probe
/// forward on a random batch confirms it before anything is written. Each becomes an exact graph: the operator of
/// the same definition, or the formula libtorch evaluates.</para>
/// <list type="table">
/// <listheader><term>layer</term><description>ONNX</description></listheader>
/// <item><term><c>Linear</c></term><description><c>Gemm(transB=1)</c> on <c>[batch, in]</c> (weight <c>[out, in]</c>
/// as stored); <c>Transpose</c> + <c>MatMul</c> + <c>Add</c> on a higher-rank input</description></item>
/// <item><term><c>Conv1d</c>, <c>Conv2d</c></term><description><c>Conv</c> with stride, zero padding (explicit, or
/// <c>Padding.Same</c>/<c>Padding.Valid</c>, an odd total padded at the end as libtorch does), dilation, groups and
/// the optional bias</description></item>
/// <item><term><c>MaxPool1d/2d</c>, <c>AvgPool1d/2d</c></term><description><c>MaxPool</c> (with dilation),
/// <c>AveragePool</c> (with <c>count_include_pad</c>): kernel, stride, padding and <c>ceil_mode</c> giving libtorch's
/// output size</description></item>
/// <item><term><c>AdaptiveAvgPool1d/2d</c></term><description><c>GlobalAveragePool</c> for output size 1 (or
/// <c>(1, 1)</c>); an exact <c>AveragePool</c> when every input size is a multiple of the output size</description></item>
/// <item><term><c>BatchNorm1d</c>, <c>BatchNorm2d</c></term><description><c>BatchNormalization</c> on the running
/// statistics (eval mode), with ones and zeros where the layer has no weight or bias</description></item>
/// <item><term><c>LayerNorm</c></term><description>opset 17 <c>LayerNormalization</c> over the trailing
/// <c>normalized_shape</c></description></item>
/// <item><term><c>ReLU</c>, <c>Sigmoid</c>, <c>Tanh</c>, <c>LeakyReLU</c>, <c>ELU</c></term><description><c>Relu</c>,
/// <c>Sigmoid</c>, <c>Tanh</c>, <c>LeakyRelu(alpha)</c>, <c>Elu(alpha)</c></description></item>
/// <item><term><c>GELU</c></term><description>exact: <c>x * 0.5 * (1 + Erf(x / sqrt 2))</c>; tanh form:
/// <c>0.5 * x * (1 + Tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))</c></description></item>
/// <item><term><c>SiLU</c></term><description><c>x * Sigmoid(x)</c></description></item>
/// <item><term><c>Softplus(beta, threshold)</c></term><description><c>Where(beta x &gt; threshold, x,
/// Softplus(beta x) / beta)</c>, libtorch's linear branch included</description></item>
/// <item><term><c>Hardtanh</c>, <c>ReLU6</c></term><description><c>Clip(min_val, max_val)</c>, <c>Clip(0, 6)</c>; a
/// <c>Hardtanh</c> whose forward does not clip (TorchSharp 0.107's <c>inplace: false</c>) is refused</description></item>
/// <item><term><c>Softmax(dim)</c>, <c>LogSoftmax(dim)</c></term><description><c>Softmax(axis=dim)</c>,
/// <c>LogSoftmax(axis=dim)</c></description></item>
/// <item><term><see cref="Activations.BinaryStep"/></term><description><c>Where(IsNaN(x), x, Cast(GreaterOrEqual(x, 0)))</c>:
/// 0 for x &lt; 0, 1 for x &gt;= 0 (so f(0) = 1), NaN for NaN, exactly as libtorch computes it</description></item>
/// <item><term><c>Flatten</c>, <c>Unflatten</c></term><description><c>Flatten(axis=1)</c> for <c>Flatten(1, -1)</c>;
/// a <c>Reshape</c> to the per-sample shape otherwise (the batch dimension stays dynamic)</description></item>
/// <item><term><c>Identity</c>; <c>Dropout</c>, <c>Dropout1d/2d/3d</c>, <c>AlphaDropout</c>,
/// <c>FeatureAlphaDropout</c> in eval mode</term><description>nothing: left out of the graph</description></item>
/// </list>
/// <para><b>What is refused</b>, with a <see cref="NotSupportedException"/> naming the module's path (e.g.
/// <c>features.3</c>) and type, before anything is written: any other layer (<c>ConvTranspose2d</c>, <c>GRU</c>,
/// ...); a setting no exact graph expresses, named with its value (<c>padding_mode</c> other than zeros,
/// <c>divisor_override</c>, BatchNorm without running statistics, adaptive pooling with uneven windows, a
/// <c>ceil_mode</c> that adds a window in one dimension and drops one in another); BatchNorm or dropout in training
/// mode (call <c>model.eval()</c> first); a module with children and tensors of its own (neither <c>Sequential</c> nor
/// <see cref="ISequentialModule"/>); and a module whose forward the probe finds is not its chain of children (in
/// registration order, or in the order an <see cref="ISequentialModule"/> declares). A forward
/// that is not a chain of layers, such as a residual block's <c>x + f(x)</c>, cannot be exported from C#: export
/// the model from PyTorch with <c>torch.onnx.export</c>, or serve it as TorchScript (<c>torch.jit.save</c> in
/// PyTorch, <c>torch.jit.load</c> in TorchSharp).</para>
/// <para><b>Shapes.</b> The input is <c>[batch, ...InputShape]</c>. <see cref="OnnxExportOptions.InputShape"/> is
/// required unless the model's first layer (after any <c>Flatten</c>) is a <c>Linear</c>, whose <c>in_features</c>
/// then gives <c>[in_features]</c> (<c>[784]</c> for the document's model); a CNN on MNIST images takes
/// <c>[1, 28, 28]</c>. One sample's shape is followed through every layer (a layer that does not take it is named in
/// an <see cref="ArgumentException"/>), and the output's is declared in the graph (<c>[batch, 10]</c>). Both are
/// float32; <c>batch</c> is a named dynamic dimension, so any batch size runs, 0 included.</para>
/// <para><b>Numbers.</b> The graph computes what libtorch computes; ONNX Runtime's results agree with libtorch's
/// within float32 rounding of the sums and transcendental functions (the tests hold every supported layer to 1e-5),
/// and every exported graph passes <c>onnx.checker</c>'s full check. The model is not
/// changed: its train/eval mode is restored and every tensor made on the way is disposed. Parameters on a CUDA device
/// are copied to the CPU for writing.</para>
/// <para>Limits: float32 parameters only; the serialized model must stay under 2 GiB (protobuf's limit, no external
/// data files); little-endian hosts.</para>
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX opset (default domain) of exported graphs: 17, read by ONNX Runtime 1.12 and later, Triton's
    /// ONNX Runtime backend since release 22.08, and onnx 1.12 and later. Every operator used has kept its meaning in
    /// every later opset.</summary>
    public const int OpsetVersion = 17;

    /// <summary>Exports <paramref name="model"/> to an <c>.onnx</c> file, atomically: a temporary file in the same
    /// folder is written, flushed and renamed over <paramref name="path"/>.</summary>
    /// <param name="model">The model; any device, float32 parameters.</param>
    /// <param name="path">The file to write; an existing file is replaced only once the new one is complete.</param>
    /// <param name="options">Names and the input shape; the defaults when null.</param>
    /// <returns>The exported graph's signature.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace, the options are invalid, the
    /// input shape is needed and not set, or it does not fit the model (the message names the layer).</exception>
    /// <exception cref="NotSupportedException">A module or one of its settings cannot be exported (the message gives its
    /// path, type and the setting), a parameter is not float32, an <see cref="ISequentialModule"/> declaration is
    /// false, or an undeclared module's forward is not the chain of its children. Nothing is written.</exception>
    /// <exception cref="IOException">The folder does not exist, <paramref name="path"/> is a directory, or writing
    /// failed; the previous file, if any, is unchanged and no temporary file is left.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or file is not writable.</exception>
    public static OnnxExportInfo ExportOnnx(this nn.Module<Tensor, Tensor> model, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        TorchRuntime.EnsureInitialized();
        var (proto, info) = OnnxGraphBuilder.Build(model, options ?? new OnnxExportOptions());
        AtomicFile.Write(path, proto.WriteTo);
        return info;
    }

    /// <summary>Exports <paramref name="model"/> to a stream (for example to hand the bytes to ONNX Runtime in memory).</summary>
    /// <param name="model">The model; any device, float32 parameters.</param>
    /// <param name="destination">Where the ONNX protobuf bytes are written; it is not closed.</param>
    /// <param name="options">Names and the input shape; the defaults when null.</param>
    /// <returns>The exported graph's signature.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="destination"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream is not writable, the options are invalid, or the input shape is
    /// needed and not set, or does not fit the model.</exception>
    /// <exception cref="NotSupportedException">As for <see cref="ExportOnnx(nn.Module{Tensor, Tensor}, string, OnnxExportOptions?)"/>;
    /// nothing is written.</exception>
    /// <exception cref="IOException">Writing to the stream failed.</exception>
    public static OnnxExportInfo ExportOnnx(this nn.Module<Tensor, Tensor> model, Stream destination, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("Expected a writable stream.", nameof(destination));
        }
        TorchRuntime.EnsureInitialized();
        var (proto, info) = OnnxGraphBuilder.Build(model, options ?? new OnnxExportOptions());
        proto.WriteTo(destination);
        return info;
    }
}
