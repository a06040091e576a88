using System.Globalization;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Persistence;

namespace YourOwnModel;

/// <summary>What the steps share: their arguments, one <c>error: ...</c> line for anything refused, and loading
/// the model's weights or the FashionMNIST test images.</summary>
internal static class Step
{
    /// <summary>Runs a step: <paramref name="body"/> gets the arguments when there are
    /// <paramref name="required"/> of them at least; a refused input prints <c>error: ...</c> and returns 1.</summary>
    public static int Run(string[] args, string usage, int required, Action<string[]> body)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture; // numbers as Python prints them
        if (args.Length < required || args.Any(a => a is "-h" or "--help"))
        {
            Console.Error.WriteLine(args.Length < required ? $"error: missing arguments ({usage})" : usage);
            return args.Length < required ? 2 : 0;
        }
        try
        {
            body(args);
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException
                                      or CheckpointException or IdxFormatException or InvalidOperationException)
        {
            // ArgumentException appends " (Parameter 'name')": the user needs only the sentence.
            var message = e is ArgumentException { ParamName: { } name }
                ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
                : e.Message;
            Console.Error.WriteLine($"error: {message}");
            return 1;
        }
    }

    /// <summary>A <see cref="FashionCnn"/> holding the weights of <paramref name="path"/> (a PyTorch
    /// <c>state_dict</c>, strictly: every key and shape must match), in eval mode.</summary>
    public static FashionCnn LoadModel(string path)
    {
        var model = new FashionCnn();
        try
        {
            model.LoadCheckpoint(path);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>FashionMNIST's test split from <paramref name="folder"/> (the four IDX files, raw or <c>.gz</c>;
    /// <c>examples/06-Train --download</c> fetches them): images <c>[N, 1, 28, 28]</c> in [0, 1].</summary>
    public static ImageDataset TestImages(string folder) => IdxDatasetSource.FashionMnist.Load(folder, DatasetSplit.Test);
}
