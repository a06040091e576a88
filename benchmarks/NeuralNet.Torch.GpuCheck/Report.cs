using System.Text;

namespace NeuralNet.Torch.GpuCheck;

/// <summary>The one report file: a header (date, machine, GPU, libtorch, TorchSharp), a table with one row per check,
/// and the standard error of failed checks. Rewritten whole after every check, through a temporary file and a rename,
/// so it is complete up to the last finished check whatever happens next.</summary>
internal sealed class Report(string path, IReadOnlyList<(string Name, string Title)> planned)
{
    private readonly List<CheckResult> _results = [];
    private readonly List<(string Key, string Value)> _header = [];

    /// <summary>Sets a header line (replacing one of the same key).</summary>
    public void Set(string key, string value)
    {
        _header.RemoveAll(h => h.Key == key);
        _header.Add((key, value));
    }

    /// <summary>Adds a finished check and writes the file.</summary>
    public void Add(CheckResult result)
    {
        _results.Add(result);
        Write();
    }

    /// <summary>Failed checks so far.</summary>
    public int Failed => _results.Count(r => r.Status == "FAIL");

    /// <summary>Writes the file as it stands.</summary>
    public void Write()
    {
        var text = new StringBuilder();
        text.AppendLine("# NeuralNet.Torch GPU check").AppendLine();
        text.AppendLine("| | |").AppendLine("|---|---|");
        foreach (var (key, value) in _header)
        {
            text.AppendLine($"| {key} | {Cell(value)} |");
        }
        var passed = _results.Count(r => r.Status == "PASS");
        var skipped = _results.Count(r => r.Status == "SKIP");
        var pending = planned.Count - _results.Count;
        text.AppendLine($"| result | {passed} passed, {Failed} failed, {skipped} skipped{(pending > 0 ? $", {pending} not run yet" : string.Empty)} |");
        text.AppendLine().AppendLine("| check | result | detail | numbers |").AppendLine("|---|---|---|---|");
        foreach (var (name, title) in planned)
        {
            var result = _results.FirstOrDefault(r => r.Name == name);
            text.AppendLine(result is null
                ? $"| {name}: {Cell(title)} | not run yet | | |"
                : $"| {name}: {Cell(title)} | {result.Status} | {Cell(result.Detail)} | {Cell(string.Join("; ", result.Values))} |");
        }
        var shown = new Dictionary<string, string>();
        foreach (var failed in _results.Where(r => r.ErrorTail.Length > 0))
        {
            text.AppendLine().AppendLine($"## {failed.Name}: standard error (last lines)").AppendLine();
            if (shown.TryGetValue(failed.ErrorTail, out var first))
            {
                text.AppendLine($"The same as {first}'s.");
                continue;
            }
            shown[failed.ErrorTail] = failed.Name;
            text.AppendLine("```").AppendLine(failed.ErrorTail).AppendLine("```");
        }
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text.ToString());
        File.Move(temporary, path, overwrite: true);
    }

    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);
}
