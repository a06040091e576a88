using System.Text;

namespace NeuralNet.Torch.Inspection;

/// <summary>A module's state_dict against a checkpoint file's tensors, key by key: what a strict load would
/// complain about, found without loading anything.</summary>
public sealed class StateDictComparison
{
    internal StateDictComparison(string filePath, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys, IReadOnlyList<StateDictMismatch> mismatches)
    {
        FilePath = filePath;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        Mismatches = mismatches;
    }

    /// <summary>The checkpoint (full path).</summary>
    public string FilePath { get; }

    /// <summary>The module's keys the file does not have, in the module's (PyTorch's) order.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>The file's keys the module does not have, in the file's order.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>Keys both have with a different shape or element type, in the module's order.</summary>
    public IReadOnlyList<StateDictMismatch> Mismatches { get; }

    /// <summary>True when the keys, shapes and element types all agree (a strict load would take every tensor).</summary>
    public bool IsMatch => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0 && Mismatches.Count == 0;

    /// <summary>One line when everything matches, else the missing keys, unexpected keys and mismatches, one per line.</summary>
    /// <returns>The text, lines separated by <c>\n</c>.</returns>
    public override string ToString()
    {
        if (IsMatch)
        {
            return $"All keys, shapes and dtypes match {FilePath}.";
        }
        var text = new StringBuilder($"The module and {FilePath} differ:");
        Append("missing keys (in the module, not in the file)", MissingKeys);
        Append("unexpected keys (in the file, not in the module)", UnexpectedKeys);
        Append("shape or dtype mismatches", Mismatches.Select(m => m.ToString()).ToList());
        return text.ToString();

        void Append(string title, IReadOnlyList<string> lines)
        {
            if (lines.Count > 0)
            {
                text.Append('\n').Append(title).Append(':');
                foreach (var line in lines)
                {
                    text.Append("\n  ").Append(line);
                }
            }
        }
    }
}
