// The PyTorch quickstart's test loop on saved weights:
//
//   model = NeuralNetwork().to(device)
//   model.load_state_dict(torch.load("model.pth"))
//   test_dataloader = DataLoader(test_data, batch_size=64)
//   test(test_dataloader, model, nn.CrossEntropyLoss())
//   -> Test Error:
//       Accuracy: 64.6%, Avg loss: 1.087374
//
//   dotnet run --project examples/07-Evaluate -- --weights FILE --images IDX --labels IDX
//       [--variant quickstart|documented] [--batch-size 64] [--confusion] [--plot FILE.png]
//
// --weights may be a PyTorch .pt/.pth, a .safetensors or a TorchSharp .dat file (the format is read from its bytes).
// --images and --labels are IDX files (raw or .gz) such as t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.
// --variant picks the model the weights belong to: quickstart (default; the tutorial's model.pth files, no final
// ReLU) or documented (the seed document's model with the final ReLU). Set NEURALNET_DEVICE to choose the device.
// --confusion prints the confusion matrix after the block (rows: actual class, columns: predicted); --plot FILE.png
// draws it as a heatmap (ScottPlot).
using System.Globalization;
using NeuralNet.Torch;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Persistence;
using Evaluate;
using NeuralNet.Torch.Training;
using TorchSharp;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture; // print numbers as Python does, whatever the locale
const string Usage = "usage: Evaluate --weights FILE --images IDX --labels IDX [--variant quickstart|documented] [--batch-size N] " +
                     "[--confusion] [--plot FILE.png]";

string? weights = null, images = null, labels = null, plotPath = null;
var confusion = false;
var variant = NeuralNetworkVariant.Quickstart;
var batchSize = 64;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--weights": weights = Value(args, ref i); break;
            case "--images": images = Value(args, ref i); break;
            case "--labels": labels = Value(args, ref i); break;
            case "--variant":
                variant = Value(args, ref i) switch
                {
                    "quickstart" => NeuralNetworkVariant.Quickstart,
                    "documented" => NeuralNetworkVariant.Documented,
                    var other => throw new ArgumentException($"--variant expects 'quickstart' or 'documented', found '{other}'"),
                };
                break;
            case "--batch-size":
                var text = Value(args, ref i);
                batchSize = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size >= 1
                    ? size
                    : throw new ArgumentException($"--batch-size expects a whole number of at least 1, found '{text}'");
                break;
            case "--confusion": confusion = true; break;
            case "--plot": plotPath = Value(args, ref i); break;
            default: throw new ArgumentException($"unknown argument '{args[i]}'");
        }
    }
    var missing = new[] { ("--weights FILE", weights), ("--images IDX", images), ("--labels IDX", labels) }
        .Where(a => a.Item2 is null).Select(a => a.Item1).ToArray();
    if (missing.Length > 0)
    {
        throw new ArgumentException($"{string.Join(", ", missing)} {(missing.Length == 1 ? "is" : "are")} required");
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message} ({Usage})");
    return 2;
}

try
{
    var device = Devices.Resolve();
    using var testData = ImageDataset.FromIdxFiles(images!, labels!, IdxDatasetSource.FashionMnist.ClassNames);
    if (testData.Images.shape[2] != 28 || testData.Images.shape[3] != 28)
    {
        throw new IOException($"'{images}' holds {testData.Images.shape[2]}x{testData.Images.shape[3]} images; the model takes 28x28.");
    }
    if (testData.Count == 0)
    {
        throw new IOException($"'{images}' holds no images.");
    }
    using var model = new NeuralNetwork(variant).to(device);
    model.LoadCheckpoint(weights!);
    using var loader = new BatchLoader(testData, batchSize, device: device);
    var result = Trainer.Evaluate(model, loader, new TrainingOptions { Output = Console.Out });
    if (confusion)
    {
        Console.Write(result.Confusion!.ToText(testData.ClassNames));
    }
    if (plotPath is not null)
    {
        Console.WriteLine($"confusion matrix plot written to {ConfusionPlot.Save(result.Confusion!, testData.ClassNames, plotPath)}");
    }
    return 0;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException
                               or CheckpointException)
{
    // An ArgumentException appends " (Parameter 'x')": the user needs only the sentence.
    var message = e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
    Console.Error.WriteLine($"error: {message}");
    return 1;
}

static string Value(string[] args, ref int i) =>
    i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
