using System.Text;

namespace NeuralNet.Torch.Persistence;

/// <summary>The keys that did not match in a load: PyTorch's <c>_IncompatibleKeys</c>, the result of
/// <c>load_state_dict</c>.</summary>
/// <param name="MissingKeys">Keys of the model that the file lacks (left as they were).</param>
/// <param name="UnexpectedKeys">Keys of the file that the model lacks (ignored).</param>
public sealed record IncompatibleKeys(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>True when nothing was missing or unexpected.</summary>
    public bool AllKeysMatched => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;

    /// <summary>PyTorch's repr: <c>&lt;All keys matched successfully&gt;</c> when nothing is off, otherwise
    /// <c>_IncompatibleKeys(missing_keys=['a'], unexpected_keys=[])</c> with Python's string quoting.</summary>
    /// <returns>The text PyTorch prints for the same result.</returns>
    public override string ToString() =>
        AllKeysMatched
            ? "<All keys matched successfully>"
            : $"_IncompatibleKeys(missing_keys={PythonList(MissingKeys)}, unexpected_keys={PythonList(UnexpectedKeys)})";

    private static string PythonList(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(PythonRepr)) + "]";

    // repr(str): single quotes unless the text has a single quote and no double quote; backslashes and the chosen
    // quote escaped; control characters as \n, \r, \t or \xNN.
    private static string PythonRepr(string text)
    {
        var quote = text.Contains('\'') && !text.Contains('"') ? '"' : '\'';
        var builder = new StringBuilder().Append(quote);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': builder.Append(@"\\"); break;
                case '\n': builder.Append(@"\n"); break;
                case '\r': builder.Append(@"\r"); break;
                case '\t': builder.Append(@"\t"); break;
                default:
                    if (c == quote)
                    {
                        builder.Append('\\').Append(c);
                    }
                    else if (c < 0x20 || c == 0x7f)
                    {
                        builder.Append(@"\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }
                    break;
            }
        }
        return builder.Append(quote).ToString();
    }
}
