using System.Globalization;
using NeuralNet.Torch;

namespace Train;

/// <summary>Reads option values; each failure is an <see cref="ArgumentException"/> whose message is the error line.</summary>
internal static class Arguments
{
    public static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new ArgumentException($"{args[i]} needs a value");
        }
        return args[++i];
    }

    public static int Positive(string[] args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1
            ? value
            : throw new ArgumentException($"{name} expects a whole number of at least 1, found '{text}'");
    }

    public static long Integer(string[] args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"{name} expects a whole number, found '{text}'");
    }

    public static double PositiveNumber(string[] args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentException($"{name} expects a positive number, found '{text}'");
    }

    public static double Fraction(string[] args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value < 1
            ? value
            : throw new ArgumentException($"{name} expects a number in [0, 1), found '{text}'");
    }

    public static string Choice(string[] args, ref int i, params string[] choices)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return choices.Contains(text)
            ? text
            : throw new ArgumentException($"{name} expects {string.Join(", ", choices.SkipLast(1).Select(c => $"'{c}'"))} or '{choices[^1]}', found '{text}'");
    }

    public static NeuralNetworkVariant Variant(string[] args, ref int i) => Value(args, ref i) switch
    {
        "quickstart" => NeuralNetworkVariant.Quickstart,
        "documented" => NeuralNetworkVariant.Documented,
        var other => throw new ArgumentException($"--variant expects 'quickstart' or 'documented', found '{other}'"),
    };

    /// <summary>An exception's message for the error line, without the " (Parameter 'x')" an ArgumentException appends.</summary>
    public static string Sentence(Exception e) => e is ArgumentException { ParamName: { } name }
        ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal)
        : e.Message;

    public static Uri Url(string[] args, ref int i)
    {
        var name = args[i];
        var text = Value(args, ref i);
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ArgumentException($"{name} expects an http(s) URL, found '{text}'");
    }
}
