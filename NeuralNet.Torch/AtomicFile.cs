namespace NeuralNet.Torch;

/// <summary>Writes a file through a temporary file in the same folder, flushed to disk and renamed over the target,
/// so that readers (a model server polling its repository, a resumed training) see the old file or the complete new
/// one: ONNX exports, Triton repositories, checkpoints and training state.</summary>
internal static class AtomicFile
{
    /// <summary>Why <paramref name="fullPath"/> cannot be written at all (<c>it is a directory</c>, <c>the folder
    /// '...' does not exist</c>), or null when it can be tried.</summary>
    public static string? TargetProblem(string fullPath)
    {
        if (Directory.Exists(fullPath))
        {
            return "it is a directory";
        }
        var folder = Path.GetDirectoryName(fullPath)!;
        return Directory.Exists(folder) ? null : $"the folder '{folder}' does not exist";
    }

    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>, atomically.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="write">Writes the whole content.</param>
    /// <param name="wrapStream">Wraps the file stream before <paramref name="write"/> gets it (the tests' way to fail
    /// part-way); null for none.</param>
    /// <exception cref="IOException">The target is a directory (<see cref="DirectoryNotFoundException"/>: its folder
    /// does not exist), or writing failed; the previous file is unchanged and no temporary file is left.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder or file is not writable.</exception>
    public static void Write(string path, Action<Stream> write, Func<Stream, Stream>? wrapStream = null)
    {
        var fullPath = Path.GetFullPath(path);
        if (TargetProblem(fullPath) is { } problem)
        {
            var message = $"Cannot write '{fullPath}': {problem}.";
            throw Directory.Exists(fullPath) ? new IOException(message) : new DirectoryNotFoundException(message);
        }
        var temporary = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var stream = wrapStream?.Invoke(file) ?? file;
                write(stream);
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: the original error matters more.
            }
            throw;
        }
    }
}
