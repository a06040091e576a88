using System.Text.Json;

namespace NeuralNet.Torch.Tests.Oracle;

/// <summary>What one run of an oracle script wrote: texts, arrays and files, listed by its <c>manifest.json</c>.
/// Disposing deletes the run's folder.</summary>
internal sealed class OracleRun : IDisposable
{
    private readonly Dictionary<string, OracleArray> _arrays;
    private readonly HashSet<string> _texts;
    private readonly HashSet<string> _files;

    private OracleRun(string script, string folder, string torchVersion, Dictionary<string, OracleArray> arrays, HashSet<string> texts, HashSet<string> files)
    {
        Script = script;
        Folder = folder;
        TorchVersion = torchVersion;
        _arrays = arrays;
        _texts = texts;
        _files = files;
    }

    /// <summary>The script that ran.</summary>
    public string Script { get; }

    /// <summary>The run's folder (deleted on dispose).</summary>
    public string Folder { get; }

    /// <summary><c>torch.__version__</c> as the script saw it.</summary>
    public string TorchVersion { get; }

    /// <summary>The names of the arrays the script wrote, in order.</summary>
    public IReadOnlyCollection<string> ArrayNames => _arrays.Keys;

    /// <summary>A text the script wrote with <c>oracle.text</c>, exactly.</summary>
    public string Text(string name)
    {
        Require(_texts.Contains(name), name, "text");
        return System.IO.File.ReadAllText(System.IO.Path.Combine(Folder, name));
    }

    /// <summary>A text written with <c>oracle.json_text</c>, parsed.</summary>
    public JsonElement Json(string name)
    {
        using var document = JsonDocument.Parse(Text(name));
        return document.RootElement.Clone();
    }

    /// <summary>An array the script wrote with <c>oracle.array</c>.</summary>
    public OracleArray Array(string name)
    {
        Require(_arrays.ContainsKey(name), name, "array");
        return _arrays[name];
    }

    /// <summary>The path of a file the script wrote itself (<c>oracle.path</c>): a .pth, an .onnx, ...</summary>
    public string File(string name)
    {
        Require(_files.Contains(name), name, "file");
        return System.IO.Path.Combine(Folder, name);
    }

    /// <summary>A path in the run's folder for a file a test writes (for the script of a later run to read).</summary>
    public string NewFile(string name) => System.IO.Path.Combine(Folder, name);

    public void Dispose()
    {
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }
    }

    /// <summary>Reads the manifest of a finished run; fails the test naming the file and the problem when it is
    /// missing or malformed.</summary>
    public static OracleRun Open(string script, string folder)
    {
        var manifestPath = System.IO.Path.Combine(folder, "manifest.json");
        if (!System.IO.File.Exists(manifestPath))
        {
            throw new OracleException($"Oracle script {script} exited without writing {manifestPath} (did it call oracle.done()?).");
        }
        try
        {
            using var document = JsonDocument.Parse(System.IO.File.ReadAllText(manifestPath));
            var root = document.RootElement;
            var arrays = new Dictionary<string, OracleArray>(StringComparer.Ordinal);
            foreach (var entry in root.GetProperty("arrays").EnumerateArray())
            {
                var name = entry.GetProperty("name").GetString()!;
                var shape = entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var bytes = System.IO.File.ReadAllBytes(System.IO.Path.Combine(folder, name));
                arrays.Add(name, new OracleArray(name, entry.GetProperty("dtype").GetString()!, shape, bytes));
            }
            var texts = root.GetProperty("texts").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToHashSet(StringComparer.Ordinal);
            var files = root.GetProperty("files").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToHashSet(StringComparer.Ordinal);
            return new OracleRun(script, folder, root.GetProperty("torch").GetString()!, arrays, texts, files);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IOException or ArgumentException)
        {
            throw new OracleException($"Oracle script {script} wrote a malformed manifest {manifestPath}: {e.Message}");
        }
    }

    private void Require(bool present, string name, string kind)
    {
        if (!present)
        {
            throw new OracleException($"Oracle script {Script} wrote no {kind} named '{name}'.");
        }
    }
}
