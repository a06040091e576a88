// Lists a checkpoint's tensors, loads it strictly into the document's model, and optionally converts it:
//
//   checkpoint = torch.load(FILE, weights_only=True)
//   state_dict = checkpoint[NAME]                       # --entry NAME (found by itself when there is one)
//   consume_prefix_in_state_dict_if_present(state_dict, P)   # --strip-prefix P, e.g. module. (DataParallel)
//   for name, t in state_dict.items(): print(name, t.dtype, list(t.shape))
//   print(model.load_state_dict(state_dict))            # <All keys matched successfully>; --convert-dtype for float16/bfloat16
//   torch.save(model.state_dict(), OUT)                 # --convert OUT (format from OUT's extension)
//   torch.onnx.export(model, X, OUT, dynamic_axes=...)  # --convert OUT.onnx
//
// FILE may be a PyTorch .pt/.pth (a state_dict, or a training or Lightning checkpoint holding one), a TorchScript
// archive (torch.jit.save: its weights are copied by key), a .safetensors or a TorchSharp .dat file: the format is
// read from its bytes. OUT.onnx is a standard ONNX graph (opset 17, input "input" [batch, 784], output "logits"
// [batch, 10]) for ONNX Runtime, Triton or any other ONNX tool. Anything refused is one line `error: ...`, exit code 1.
using NeuralNet.Torch;
using NeuralNet.Torch.Onnx;
using NeuralNet.Torch.Persistence;

const string Usage = "usage: Checkpoints FILE [--variant documented|quickstart] [--entry NAME] [--strip-prefix P] " +
    "[--convert-dtype] [--convert OUT.pth|OUT.safetensors|OUT.dat|OUT.onnx]";

string? file = null;
string? convertTo = null;
var variant = NeuralNetworkVariant.Quickstart;
var options = CheckpointLoadOptions.Default;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--variant" when i + 1 < args.Length:
            switch (args[++i])
            {
                case "documented": variant = NeuralNetworkVariant.Documented; break;
                case "quickstart": variant = NeuralNetworkVariant.Quickstart; break;
                default: return Fail($"unknown variant '{args[i]}' ({Usage})", 2);
            }
            break;
        case "--entry" when i + 1 < args.Length:
            options = options with { Entry = args[++i] };
            break;
        case "--strip-prefix" when i + 1 < args.Length:
            options = options with { StripPrefix = args[++i] };
            break;
        case "--convert-dtype":
            options = options with { ConvertFloatingPoint = true };
            break;
        case "--convert" when i + 1 < args.Length:
            convertTo = args[++i];
            break;
        case "-h" or "--help":
            Console.WriteLine(Usage);
            return 0;
        default:
            if (args[i].StartsWith("--", StringComparison.Ordinal) || file is not null)
            {
                return Fail($"unexpected argument '{args[i]}' ({Usage})", 2);
            }
            file = args[i];
            break;
    }
}
if (file is null)
{
    return Fail($"no checkpoint file given ({Usage})", 2);
}

try
{
    // Refuse an output name without a known extension before any work is done.
    var toOnnx = convertTo is not null && Path.GetExtension(convertTo).Equals(".onnx", StringComparison.OrdinalIgnoreCase);
    CheckpointFormat? outputFormat = convertTo is null || toOnnx ? null : OutputFormat(convertTo);
    var info = Checkpoint.Inspect(file, options);
    var entry = info.Entry is null ? "" : $" (entry '{info.Entry}')";
    Console.WriteLine($"{info.FilePath}: {info.Format} checkpoint, {info.Tensors.Count} tensors{entry}");
    var width = info.Tensors.Select(t => t.Name.Length).DefaultIfEmpty(0).Max();
    foreach (var tensor in info.Tensors)
    {
        Console.WriteLine($"  {tensor.Name.PadRight(width)}  {tensor.DTypeName,-8}  [{string.Join(", ", tensor.Shape)}]");
    }

    using var model = new NeuralNetwork(variant);
    Console.WriteLine(model.LoadCheckpoint(file, options));

    if (convertTo is not null && toOnnx)
    {
        var graph = model.ExportOnnx(convertTo);
        Console.WriteLine($"Wrote {Path.GetFullPath(convertTo)} (ONNX opset {graph.OpsetVersion}: {graph.InputName} " +
            $"[batch, {string.Join(", ", graph.InputShape)}] -> {graph.OutputName} [batch, {string.Join(", ", graph.OutputShape)}])");
    }
    else if (convertTo is not null)
    {
        model.SaveCheckpoint(convertTo, outputFormat);
        Console.WriteLine($"Wrote {Path.GetFullPath(convertTo)} ({outputFormat})");
    }
    return 0;
}
catch (ArgumentException e)
{
    // ArgumentException appends " (Parameter 'path')": the user needs only the sentence.
    return Fail(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal), 1);
}
catch (Exception e) when (e is CheckpointException or InvalidOperationException or NotSupportedException or IOException or UnauthorizedAccessException)
{
    return Fail(e.Message, 1);
}

static CheckpointFormat OutputFormat(string path) =>
    Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".pt" or ".pth" or ".bin" or ".safetensors" or ".dat" => Checkpoint.FormatFromExtension(path),
        var other => throw new ArgumentException(
            $"Cannot choose a format for '{path}' from its extension '{other}': use .pt, .pth or .bin (PyTorch), " +
            ".safetensors, .dat (TorchSharp), or .onnx (ONNX)."),
    };

// The library's messages name its options; on this command line they are flags.
static int Fail(string message, int exitCode)
{
    var text = message.ReplaceLineEndings(" ")
        .Replace("CheckpointLoadOptions.ConvertFloatingPoint", "--convert-dtype", StringComparison.Ordinal)
        .Replace("CheckpointLoadOptions.StripPrefix", "--strip-prefix", StringComparison.Ordinal)
        .Replace("CheckpointLoadOptions.Entry", "--entry", StringComparison.Ordinal);
    Console.Error.WriteLine($"error: {text}");
    return exitCode;
}
