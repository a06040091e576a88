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
/// <c>Sequential</c> and through custom modules that declare their forward sequential with
/// <see cref="IOnnxSequential"/> (as <see cref="NeuralNetwork"/> does):</para>
/// <list type="table">
/// <listheader><term>layer</term><description>ONNX</description></listheader>
/// <item><term><c>Flatten(1, -1)</c></term><description><c>Flatten(axis=1)</c>; another range that keeps the batch
/// dimension becomes a <c>Reshape</c></description></item>
/// <item><term><c>Linear</c></term><description><c>Gemm(transB=1)</c> on <c>[batch, in]</c> (weight <c>[out, in]</c>
/// as stored); <c>Transpose</c> + <c>MatMul</c> + <c>Add</c> on a higher-rank input</description></item>
/// <item><term><c>ReLU</c>, <c>Sigmoid</c>, <c>Tanh</c></term><description><c>Relu</c>, <c>Sigmoid</c>,
/// <c>Tanh</c></description></item>
/// <item><term><c>Softmax(dim)</c></term><description><c>Softmax(axis=dim)</c></description></item>
/// <item><term><see cref="Activations.BinaryStep"/></term><description><c>Where(IsNaN(x), x, Cast(GreaterOrEqual(x, 0)))</c>:
/// 0 for x &lt; 0, 1 for x &gt;= 0 (so f(0) = 1), NaN for NaN, exactly as libtorch computes it</description></item>
/// </list>
/// <para>Anything else (dropout, convolutions, a custom module that does not declare its forward) is refused with a
/// <see cref="NotSupportedException"/> naming the module's path (e.g. <c>linear_relu_stack.3</c>) and type, before
/// anything is written.</para>
/// <para><b>Shapes.</b> The input is <c>[batch, ...InputShape]</c> (default <c>[batch, 784]</c> for the document's
/// model: the first <c>Linear</c>'s <c>in_features</c>); the output's shape follows through the layers
/// (<c>[batch, 10]</c>). Both are float32; <c>batch</c> is a named dynamic dimension, so any batch size runs, 0
/// included.</para>
/// <para><b>Numbers.</b> The graph computes what libtorch computes; ONNX Runtime's results agree with libtorch's
/// within float32 rounding of the matrix products (about 1e-6 for the document's model). The model is not changed:
/// its train/eval mode is restored and every tensor made on the way is disposed. Parameters on a CUDA device are
/// copied to the CPU for writing.</para>
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
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or whitespace, the options are invalid, or
    /// the input shape does not fit the model (the message names the layer).</exception>
    /// <exception cref="NotSupportedException">A module cannot be exported (the message gives its path and type), a
    /// parameter is not float32, or an <see cref="IOnnxSequential"/> declaration is false. Nothing is written.</exception>
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
    /// <exception cref="ArgumentException">The stream is not writable, the options are invalid, or the input shape
    /// does not fit the model.</exception>
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
