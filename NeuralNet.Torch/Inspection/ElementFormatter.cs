namespace NeuralNet.Torch.Inspection;

/// <summary>
/// PyTorch's <c>torch._tensor_str._Formatter</c> with the default print options (precision 4, <c>sci_mode=None</c>):
/// decides, from the values that will be shown, between integer mode (<c>1.</c>), fixed (<c>0.4158</c>) and
/// scientific (<c>1.0000e+05</c>) notation, and the common width every element is right-aligned to.
/// </summary>
internal sealed class ElementFormatter
{
    private const int Precision = 4;

    private readonly bool floating;
    private readonly bool intMode;
    private readonly bool sciMode;

    private ElementFormatter(bool floating, bool intMode, bool sciMode, int width)
    {
        this.floating = floating;
        this.intMode = intMode;
        this.sciMode = sciMode;
        Width = width;
    }

    /// <summary>The width every element is padded to (at least 1).</summary>
    public int Width { get; }

    /// <summary>The formatter for floating-point values (already widened to double).</summary>
    /// <remarks>
    /// As in PyTorch, only the nonzero finite values decide. With none, integer mode with width 1 is used
    /// (<c>tensor([0., 0.])</c>, <c>tensor([nan])</c>). When every such value is an integer: scientific if
    /// max/min of their absolute values exceeds 1000 or the max exceeds 1e8, else integer mode. Otherwise:
    /// scientific if max/min exceeds 1000, the max exceeds 1e8 or the min is below 1e-4, else fixed.
    /// </remarks>
    public static ElementFormatter ForFloating(IReadOnlyList<double> values)
    {
        var nonzeroFinite = values.Where(v => double.IsFinite(v) && v != 0).ToArray();
        if (nonzeroFinite.Length == 0)
        {
            return new ElementFormatter(floating: true, intMode: true, sciMode: false, width: 1);
        }
        var min = nonzeroFinite.Min(Math.Abs);
        var max = nonzeroFinite.Max(Math.Abs);
        var intMode = nonzeroFinite.All(v => v == Math.Ceiling(v));
        bool sciMode;
        int width;
        if (intMode)
        {
            sciMode = max / min > 1000.0 || max > 1.0e8;
            width = sciMode
                ? nonzeroFinite.Max(v => PythonFormat.Scientific(v, Precision).Length)
                : nonzeroFinite.Max(v => PythonFormat.Fixed(v, 0).Length + 1);
        }
        else
        {
            sciMode = max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
            width = sciMode
                ? nonzeroFinite.Max(v => PythonFormat.Scientific(v, Precision).Length)
                : nonzeroFinite.Max(v => PythonFormat.Fixed(v, Precision).Length);
        }
        return new ElementFormatter(floating: true, intMode, sciMode, Math.Max(1, width));
    }

    /// <summary>The formatter for integer and bool values, given as their Python <c>str</c> texts: the width is
    /// the longest text.</summary>
    public static ElementFormatter ForTexts(IReadOnlyList<string> texts) =>
        new(floating: false, intMode: false, sciMode: false, width: Math.Max(1, texts.Count == 0 ? 1 : texts.Max(t => t.Length)));

    /// <summary>Formats one floating-point value, right-aligned to <see cref="Width"/>.</summary>
    public string Format(double value)
    {
        string text;
        if (!floating)
        {
            throw new InvalidOperationException("This formatter is for integer or bool texts.");
        }
        if (sciMode)
        {
            text = PythonFormat.Scientific(value, Precision);
        }
        else if (intMode)
        {
            text = PythonFormat.Fixed(value, 0);
            if (double.IsFinite(value))
            {
                text += ".";
            }
        }
        else
        {
            text = PythonFormat.Fixed(value, Precision);
        }
        return Pad(text);
    }

    /// <summary>Right-aligns an integer or bool text to <see cref="Width"/>.</summary>
    public string Format(string text) => Pad(text);

    private string Pad(string text) => text.Length >= Width ? text : new string(' ', Width - text.Length) + text;
}
