using NeuralNet.Torch;

namespace Train;

/// <summary>Saves and loads the trained weights.</summary>
internal static class ModelFile
{
    /// <summary>Saves the model into <paramref name="folder"/> and returns the file's path.</summary>
    public static string Save(NeuralNetwork model, string folder)
    {
        // TorchSharp's own format until the checkpoints feature (PyTorch .pth) is merged.
        var path = Path.Combine(folder, "model.dat");
        model.save(path);
        return path;
    }

    /// <summary>Loads weights saved by <see cref="Save"/> into <paramref name="model"/>.</summary>
    public static void Load(NeuralNetwork model, string path) => model.load(path);
}
