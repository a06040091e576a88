using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Onnx;

/// <summary>
/// Writes a model into the model-repository layout that NVIDIA Triton Inference Server (ONNX Runtime backend) reads,
/// and that KServe serves through its Triton runtime:
/// <c>&lt;repository&gt;/&lt;model&gt;/config.pbtxt</c> and <c>&lt;repository&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c>.
/// </summary>
/// <remarks>
/// <para>The configuration says <c>platform: "onnxruntime_onnx"</c>, <c>max_batch_size</c>, the graph's input and
/// output names with <c>data_type: TYPE_FP32</c> and their per-sample dims (without the batch dimension, as Triton
/// wants when <c>max_batch_size</c> &gt; 0: <c>[784]</c> and <c>[10]</c> for the document's model, <c>[1, 28, 28]</c>
/// and <c>[10]</c> for a CNN exported with that <see cref="OnnxExportOptions.InputShape"/>), and
/// <c>dynamic_batching</c>, so the server batches concurrent requests as <see cref="Serving.Predictor"/> does.</para>
/// <para>Both files are written atomically, the model first: a server polling the repository never reads a
/// half-written file. Other version folders are left as they are.</para>
/// </remarks>
public static class TritonModelRepository
{
    /// <summary>The configuration file's name inside the model folder.</summary>
    public const string ConfigFileName = "config.pbtxt";

    /// <summary>The model file's name inside a version folder.</summary>
    public const string ModelFileName = "model.onnx";

    /// <summary>Exports <paramref name="model"/> into <paramref name="repositoryPath"/> as <paramref name="modelName"/>.</summary>
    /// <param name="model">The model (see <see cref="OnnxExport"/> for what exports).</param>
    /// <param name="repositoryPath">The model repository's root folder; created if missing.</param>
    /// <param name="modelName">The model's name: its folder, and the name clients address (letters, digits,
    /// <c>_</c>, <c>-</c> and <c>.</c>; not <c>.</c> or <c>..</c>).</param>
    /// <param name="options">Batching, version and export settings; the defaults when null.</param>
    /// <returns>The exported graph's signature, which the configuration repeats.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/>, <paramref name="repositoryPath"/> or
    /// <paramref name="modelName"/> is null.</exception>
    /// <exception cref="ArgumentException">The name or the options are invalid (the message lists every problem), or
    /// the export options do not fit the model.</exception>
    /// <exception cref="NotSupportedException">The model cannot be exported (see <see cref="OnnxExport"/>); nothing is written.</exception>
    /// <exception cref="IOException">A folder or file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The repository is not writable.</exception>
    public static OnnxExportInfo Write(nn.Module<Tensor, Tensor> model, string repositoryPath, string modelName, TritonModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(repositoryPath);
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentException.ThrowIfNullOrWhiteSpace(repositoryPath);
        options ??= new TritonModelOptions();
        var problems = Validate(modelName, options);
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid Triton model settings: " + string.Join(" ", problems), nameof(options));
        }
        using var bytes = new MemoryStream();
        var info = model.ExportOnnx(bytes, options.Export);
        var modelFolder = Path.Combine(repositoryPath, modelName);
        var versionFolder = Path.Combine(modelFolder, options.Version.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(versionFolder);
        AtomicFile.Write(Path.Combine(versionFolder, ModelFileName), stream => bytes.WriteTo(stream));
        var config = Config(modelName, info, options);
        AtomicFile.Write(Path.Combine(modelFolder, ConfigFileName), stream => stream.Write(Encoding.UTF8.GetBytes(config)));
        return info;
    }

    /// <summary>The <c>config.pbtxt</c> text (protobuf text format of Triton's <c>ModelConfig</c>).</summary>
    internal static string Config(string modelName, OnnxExportInfo info, TritonModelOptions options)
    {
        var text = new StringBuilder();
        text.Append("# Written by NeuralNet.Torch for Triton Inference Server's ONNX Runtime backend (and KServe's Triton runtime).\n");
        text.Append($"name: {Quote(modelName)}\n");
        text.Append("platform: \"onnxruntime_onnx\"\n");
        text.Append(CultureInfo.InvariantCulture, $"max_batch_size: {options.MaxBatchSize}\n");
        Tensor(text, "input", info.InputName, info.InputShape);
        Tensor(text, "output", info.OutputName, info.OutputShape);
        text.Append("dynamic_batching {\n");
        text.Append(CultureInfo.InvariantCulture, $"  max_queue_delay_microseconds: {(long)(options.MaxQueueDelay.Ticks / TimeSpan.TicksPerMicrosecond)}\n");
        text.Append("}\n");
        return text.ToString();
    }

    private static void Tensor(StringBuilder text, string field, string name, IReadOnlyList<long> dims)
    {
        text.Append($"{field} [\n");
        text.Append("  {\n");
        text.Append($"    name: {Quote(name)}\n");
        text.Append("    data_type: TYPE_FP32\n");
        text.Append("    dims: [ ").Append(string.Join(", ", dims.Select(d => d.ToString(CultureInfo.InvariantCulture)))).Append(" ]\n");
        text.Append("  }\n");
        text.Append("]\n");
    }

    // A protobuf text-format string: C-style escapes for quote, backslash and control characters.
    private static string Quote(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            text.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => $"\\{Convert.ToString(c, 8).PadLeft(3, '0')}",
                _ => c.ToString(),
            });
        }
        return text.Append('"').ToString();
    }

    private static List<string> Validate(string modelName, TritonModelOptions options)
    {
        var problems = new List<string>();
        if (modelName.Length == 0 || modelName is "." or ".." || !modelName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            problems.Add($"The model name must be letters, digits, '_', '-' or '.' (and not '.' or '..'); found '{modelName}'.");
        }
        if (options.MaxBatchSize is < 1 or > 1 << 20)
        {
            problems.Add($"MaxBatchSize must be between 1 and 1048576; found {options.MaxBatchSize}.");
        }
        if (options.MaxQueueDelay < TimeSpan.Zero || options.MaxQueueDelay > TimeSpan.FromSeconds(1))
        {
            problems.Add($"MaxQueueDelay must be between 0 and 1 second; found {options.MaxQueueDelay}.");
        }
        if (options.Version < 1)
        {
            problems.Add($"Version must be a positive integer; found {options.Version}.");
        }
        return problems;
    }
}
