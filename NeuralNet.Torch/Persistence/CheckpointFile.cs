using System.Buffers.Binary;

namespace NeuralNet.Torch.Persistence;

/// <summary>Opens, detects and reads checkpoint files, and writes them atomically. Every failure comes out as a
/// <see cref="CheckpointException"/> naming the file.</summary>
internal static class CheckpointFile
{
    /// <summary>Reads every tensor of a checkpoint's state_dict into managed memory.</summary>
    /// <param name="path">The file.</param>
    /// <param name="entry">For a PyTorch file, the top-level key of the state_dict (<see cref="CheckpointLoadOptions.Entry"/>).</param>
    /// <exception cref="CheckpointException">The file is missing, a directory, unreadable, empty, truncated, corrupt,
    /// of no known format, refused (a pickle global outside the allow-list), or holds no single state_dict.</exception>
    public static CheckpointContents Read(string path, string? entry)
    {
        var fullPath = ExistingFile(path);
        return Guard(fullPath, $"Cannot read checkpoint '{fullPath}'", () =>
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var format = Detect(stream);
            if (entry is not null && format != CheckpointFormat.PyTorch)
            {
                throw new InvalidDataException(
                    $"CheckpointLoadOptions.Entry '{entry}' applies to torch.save files only; this {format} file has no entries, only tensors");
            }
            stream.Position = 0;
            if (format == CheckpointFormat.PyTorch)
            {
                var (tensors, chosen) = PyTorchCheckpointReader.Read(stream, entry);
                return new CheckpointContents(fullPath, format, tensors, chosen);
            }
            var entries = format switch
            {
                CheckpointFormat.TorchScript => TorchScriptArchive.ReadEntries(fullPath),
                CheckpointFormat.SafeTensors => SafeTensorsFormat.Read(stream),
                _ => ReadTorchSharp(stream),
            };
            return new CheckpointContents(fullPath, format, entries, null);
        });
    }

    /// <summary>Detects the format of an existing file from its bytes.</summary>
    /// <exception cref="CheckpointException">As <see cref="Read"/>.</exception>
    /// <param name="path">The file.</param>
    /// <param name="lead">The start of an error's message; <c>Cannot read checkpoint 'path'</c> when null.</param>
    public static CheckpointFormat DetectFormat(string path, string? lead = null)
    {
        var fullPath = ExistingFile(path);
        return Guard(fullPath, lead ?? $"Cannot read checkpoint '{fullPath}'", () =>
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var format = Detect(stream);
            if (format == CheckpointFormat.TorchSharp)
            {
                _ = ReadTorchSharp(stream); // no magic number: only a whole, consistent file is one
            }
            return format;
        });
    }

    /// <summary>Writes a checkpoint file atomically (<see cref="AtomicFile"/>), every failure as a
    /// <see cref="CheckpointException"/>.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="write">Writes the whole content.</param>
    /// <param name="wrapStream">Wraps the file stream (the tests' way to fail part-way); null for none.</param>
    /// <exception cref="CheckpointException">The target is a directory, its folder does not exist, or writing failed;
    /// the previous file is then unchanged and no temporary file is left.</exception>
    public static void WriteAtomically(string path, Action<Stream> write, Func<Stream, Stream>? wrapStream = null)
    {
        var fullPath = Path.GetFullPath(path);
        if (AtomicFile.TargetProblem(fullPath) is { } problem)
        {
            throw new CheckpointException(fullPath, $"Cannot save checkpoint '{fullPath}': {problem}.");
        }
        try
        {
            AtomicFile.Write(fullPath, write, wrapStream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or NotSupportedException)
        {
            throw new CheckpointException(fullPath,
                $"Cannot save checkpoint '{fullPath}': {e.Message.TrimEnd('.')}. The previous file, if any, is unchanged.", e);
        }
    }

    private static CheckpointFormat Detect(FileStream stream)
    {
        var length = stream.Length;
        if (length == 0)
        {
            throw new InvalidDataException("the file is empty");
        }
        Span<byte> start = stackalloc byte[16];
        var count = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        start = start[..count];
        if (start is [(byte)'P', (byte)'K', 3, 4, ..] or [(byte)'P', (byte)'K', 5, 6, ..])
        {
            return PyTorchCheckpointReader.IsTorchScript(stream) ? CheckpointFormat.TorchScript : CheckpointFormat.PyTorch;
        }
        if (start.Length >= 9 && start[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(start) <= SafeTensorsFormat.MaxHeaderBytes)
        {
            return CheckpointFormat.SafeTensors; // the reader reports a header that runs past the end as truncation
        }
        if (start.Length >= 2 && start[0] == 0x80 && start[1] <= 5)
        {
            throw new InvalidDataException(
                "it is a bare pickle (PyTorch's legacy format from before 1.6, torch.save(..., _use_new_zipfile_serialization=False), " +
                "or a plain Python pickle), which is not supported: load it in Python and re-save it with " +
                "torch.save(model.state_dict(), path) in PyTorch 1.6 or later");
        }
        return CheckpointFormat.TorchSharp;
    }

    private static List<StateEntry> ReadTorchSharp(Stream stream)
    {
        try
        {
            return TorchSharpFormat.Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(
                "it is not a checkpoint in a known format: not a PyTorch zip archive (.pt/.pth), not safetensors, and " +
                $"not a TorchSharp Module.save file (read as one: {e.Message})", e);
        }
    }

    /// <summary>The full path of an existing file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="verb">What was to be done, for the message (<c>read checkpoint</c>).</param>
    /// <exception cref="CheckpointException">It does not exist or is a directory.</exception>
    public static string ExistingFile(string path, string verb = "read checkpoint")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new CheckpointException(fullPath, $"Cannot {verb} '{fullPath}': it is a directory, not a file.");
        }
        if (!File.Exists(fullPath))
        {
            throw new CheckpointException(fullPath, $"Cannot {verb} '{fullPath}': the file does not exist.");
        }
        return fullPath;
    }

    /// <summary>Runs <paramref name="action"/>, turning the exceptions of reading a file into a
    /// <see cref="CheckpointException"/> whose message is <paramref name="lead"/>, a colon and the problem.</summary>
    public static T Guard<T>(string fullPath, string lead, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            var problem = e switch
            {
                InvalidDataException => e.Message,
                EndOfStreamException => "the file ends early (truncated)",
                _ => $"the file could not be read ({e.Message.TrimEnd('.')})",
            };
            throw new CheckpointException(fullPath, $"{lead}: {problem}.", e);
        }
    }
}
