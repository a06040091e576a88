using System.Text;
using System.Text.Json;
using NeuralNet.Torch.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Training;

/// <summary>Writes and reads the per-epoch files of <see cref="TrainingOptions.CheckpointDirectory"/> (see
/// <see cref="TrainingCheckpoint"/>).</summary>
internal static class CheckpointStore
{
    private const string Magic = "NeuralNet.Torch training state";
    private const int Version = 1;

    /// <summary>Creates the folder and proves a file can be written in it, before any training.</summary>
    /// <exception cref="CheckpointException">The folder cannot be created or written to.</exception>
    public static string Prepare(string directory)
    {
        var full = Path.GetFullPath(directory);
        try
        {
            Directory.CreateDirectory(full);
            var probe = Path.Combine(full, $".write-test.{Guid.NewGuid():N}.tmp");
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
            return full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CheckpointException(full,
                $"Cannot write checkpoints to '{full}' (TrainingOptions.CheckpointDirectory): {e.Message.TrimEnd('.')}.", e);
        }
    }

    /// <summary>Saves one completed epoch: the model file, the state file, then the pointer; then removes the
    /// previous epoch's files. <paramref name="wrapStream"/>, when given, wraps each file's stream (the target path,
    /// the stream).</summary>
    public static void Write(
        string directory, nn.Module model, TrainingState state, TorchSharp.Modules.OptimizerHelper optimizer,
        Func<string, Stream, Stream>? wrapStream = null)
    {
        var stem = TrainingCheckpoint.FileStem(state.Epoch);
        var modelPath = Path.Combine(directory, stem + ".pth");
        var statePath = Path.Combine(directory, stem + ".state");
        var pointerPath = Path.Combine(directory, TrainingCheckpoint.PointerFileName);
        Checkpoint.Save(model, modelPath, CheckpointFormat.PyTorch, Wrap(wrapStream, modelPath));
        CheckpointFile.WriteAtomically(statePath, stream => WriteState(stream, state, optimizer), Wrap(wrapStream, statePath));
        CheckpointFile.WriteAtomically(pointerPath, stream =>
        {
            using var json = new Utf8JsonWriter(stream);
            json.WriteStartObject();
            json.WriteNumber("epoch", state.Epoch);
            json.WriteString("model", Path.GetFileName(modelPath));
            json.WriteString("state", Path.GetFileName(statePath));
            json.WriteEndObject();
        }, Wrap(wrapStream, pointerPath));
        foreach (var old in Directory.EnumerateFiles(directory, "epoch-*.*"))
        {
            var name = Path.GetFileName(old);
            if ((name.EndsWith(".pth", StringComparison.Ordinal) || name.EndsWith(".state", StringComparison.Ordinal))
                && !name.StartsWith(stem + ".", StringComparison.Ordinal))
            {
                try
                {
                    File.Delete(old);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A stale file costs disk space only: checkpoint.json names the current pair.
                }
            }
        }
    }

    /// <summary>Reads a state file, loading the optimizer's state into <paramref name="optimizer"/> after calling
    /// <paramref name="beforeOptimizer"/> with the number of scheduler steps.</summary>
    /// <exception cref="CheckpointException">The file is unreadable, not a state file, or for another optimizer or model.</exception>
    public static TrainingState Read(string path, TorchSharp.Modules.OptimizerHelper optimizer, Action<int> beforeOptimizer)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            if (reader.ReadString() != Magic)
            {
                throw new InvalidDataException("it is not a NeuralNet.Torch training state file");
            }
            var version = reader.ReadInt32();
            if (version != Version)
            {
                throw new InvalidDataException($"expected state format version {Version}; found {version}");
            }
            var epoch = reader.ReadInt32();
            var schedulerSteps = reader.ReadInt32();
            var shuffleState = reader.ReadBoolean() ? reader.ReadBytes(reader.ReadInt32()) : null;
            var randomState = reader.ReadBytes(reader.ReadInt32());
            var count = reader.ReadInt32();
            var epochs = new List<EpochResult>(count);
            for (var i = 0; i < count; i++)
            {
                epochs.Add(ReadEpoch(reader));
            }
            beforeOptimizer(schedulerSteps);
            optimizer.load_state_dict(reader);
            return new TrainingState(epoch, schedulerSteps, shuffleState, randomState, epochs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or EndOfStreamException
                                      or ArgumentException or FormatException)
        {
            throw new CheckpointException(path, $"Cannot resume from '{path}': {e.Message.TrimEnd('.')}.", e);
        }
    }

    private static void WriteState(Stream stream, TrainingState state, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(state.Epoch);
        writer.Write(state.SchedulerSteps);
        writer.Write(state.ShuffleState is not null);
        if (state.ShuffleState is { } shuffle)
        {
            writer.Write(shuffle.Length);
            writer.Write(shuffle);
        }
        writer.Write(state.RandomState.Length);
        writer.Write(state.RandomState);
        writer.Write(state.Epochs.Count);
        foreach (var epoch in state.Epochs)
        {
            WriteEpoch(writer, epoch);
        }
        optimizer.save_state_dict(writer);
        writer.Flush();
    }

    private static void WriteEpoch(BinaryWriter writer, EpochResult epoch)
    {
        writer.Write(epoch.Epoch);
        writer.Write(epoch.Train.AverageLoss);
        writer.Write(epoch.Train.LastLoss);
        writer.Write(epoch.Train.Batches);
        writer.Write(epoch.Train.Samples);
        writer.Write(epoch.Test.Correct);
        writer.Write(epoch.Test.Count);
        writer.Write(epoch.Test.AverageLoss);
        writer.Write(epoch.Test.Batches);
        var confusion = epoch.Test.Confusion;
        writer.Write(confusion?.ClassCount ?? 0);
        if (confusion is not null)
        {
            foreach (var row in confusion.ToRows())
            {
                foreach (var count in row)
                {
                    writer.Write(count);
                }
            }
        }
        writer.Write(epoch.Duration.Ticks);
    }

    private static EpochResult ReadEpoch(BinaryReader reader)
    {
        var number = reader.ReadInt32();
        var train = new TrainEpochResult(reader.ReadDouble(), reader.ReadDouble(), reader.ReadInt32(), reader.ReadInt64());
        var correct = reader.ReadInt64();
        var count = reader.ReadInt64();
        var average = reader.ReadDouble();
        var batches = reader.ReadInt32();
        var classes = reader.ReadInt32();
        ConfusionMatrix? confusion = null;
        if (classes > 0)
        {
            var counts = new long[checked(classes * classes)];
            for (var i = 0; i < counts.Length; i++)
            {
                counts[i] = reader.ReadInt64();
            }
            confusion = new ConfusionMatrix(classes, counts);
        }
        var duration = TimeSpan.FromTicks(reader.ReadInt64());
        return new EpochResult(number, train, new EvaluationResult(correct, count, average, batches, confusion), duration);
    }

    private static Func<Stream, Stream>? Wrap(Func<string, Stream, Stream>? wrap, string path) =>
        wrap is null ? null : stream => wrap(path, stream);

    /// <summary>libtorch's global generator's state (<c>torch.get_rng_state()</c>: dropout masks, the unseeded
    /// shuffle), as bytes.</summary>
    public static byte[] GlobalRandomState()
    {
        using var state = torch.get_rng_state();
        return state.data<byte>().ToArray();
    }

    /// <summary>Sets libtorch's global generator back to <see cref="GlobalRandomState"/>'s bytes.</summary>
    public static void RestoreGlobalRandomState(byte[] bytes)
    {
        using var state = torch.tensor(bytes, ScalarType.Byte);
        torch.set_rng_state(state);
    }

    /// <summary>libtorch's generator state as bytes.</summary>
    public static byte[] StateBytes(Generator generator)
    {
        using var state = generator.get_state();
        return state.data<byte>().ToArray();
    }

    /// <summary>Restores a generator from <see cref="StateBytes"/>.</summary>
    public static void Restore(Generator generator, byte[] bytes)
    {
        using var state = torch.tensor(bytes, ScalarType.Byte);
        generator.set_state(state);
    }
}
