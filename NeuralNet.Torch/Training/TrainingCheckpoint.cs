using System.Globalization;
using System.Text.Json;
using NeuralNet.Torch.Persistence;

namespace NeuralNet.Torch.Training;

/// <summary>The last completed epoch saved in a <see cref="TrainingOptions.CheckpointDirectory"/>.</summary>
/// <param name="Epoch">The completed epoch, from 1.</param>
/// <param name="ModelPath">The model's state_dict after that epoch, a PyTorch file (<c>epoch-NNNN.pth</c>):
/// <c>torch.load(path, weights_only=True)</c> and <see cref="Checkpoint.LoadCheckpoint"/> read it.</param>
/// <param name="StatePath">The optimizer, scheduler, random-generator and per-epoch results (<c>epoch-NNNN.state</c>,
/// a NeuralNet.Torch format).</param>
/// <remarks>
/// <para>Per epoch, <see cref="Trainer.Fit"/> writes the model file, then the state file, then <c>checkpoint.json</c>
/// naming both, each through a temporary file renamed over the target; only then does it delete the previous epoch's
/// two files. A crash at any point leaves <c>checkpoint.json</c> naming a complete, matching pair.</para>
/// </remarks>
public sealed record TrainingCheckpoint(int Epoch, string ModelPath, string StatePath)
{
    /// <summary>The file naming the last completed epoch's files (<c>checkpoint.json</c>).</summary>
    public const string PointerFileName = "checkpoint.json";

    /// <summary>Reads the last completed epoch of a checkpoint folder.</summary>
    /// <param name="directory">The folder (<see cref="TrainingOptions.CheckpointDirectory"/>).</param>
    /// <returns>The checkpoint, or null when the folder or its <c>checkpoint.json</c> does not exist.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="CheckpointException"><c>checkpoint.json</c> is unreadable or malformed, or a file it names is missing.</exception>
    public static TrainingCheckpoint? TryRead(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var pointer = Path.GetFullPath(Path.Combine(directory, PointerFileName));
        if (!File.Exists(pointer))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(pointer));
            var root = document.RootElement;
            var epoch = root.GetProperty("epoch").GetInt32();
            var folder = Path.GetDirectoryName(pointer)!;
            var model = Path.Combine(folder, Path.GetFileName(root.GetProperty("model").GetString()!));
            var state = Path.Combine(folder, Path.GetFileName(root.GetProperty("state").GetString()!));
            foreach (var file in new[] { model, state })
            {
                if (!File.Exists(file))
                {
                    throw new CheckpointException(pointer, $"Cannot resume from '{pointer}': the file '{file}' it names is missing.");
                }
            }
            return new TrainingCheckpoint(epoch, model, state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException
                                      or InvalidOperationException or FormatException)
        {
            throw new CheckpointException(pointer, $"Cannot resume from '{pointer}': {e.Message.TrimEnd('.')}.", e);
        }
    }

    internal static string FileStem(int epoch) => "epoch-" + epoch.ToString("D4", CultureInfo.InvariantCulture);
}
