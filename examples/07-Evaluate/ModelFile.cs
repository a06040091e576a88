using NeuralNet.Torch;

namespace Evaluate;

/// <summary>Loads trained weights into the model.</summary>
internal static class ModelFile
{
    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/>.</summary>
    /// <exception cref="IOException">The file is missing or is not weights for this model; the message says which file.</exception>
    public static void Load(NeuralNetwork model, string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weights file '{path}' not found.", path);
        }
        try
        {
            // TorchSharp's own format until the checkpoints feature (PyTorch .pth) is merged.
            model.load(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new IOException($"Cannot load weights from '{path}': {e.Message}", e);
        }
    }
}
