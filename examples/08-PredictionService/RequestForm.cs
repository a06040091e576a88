using System.Text.Json;
using NeuralNet.Torch.Serving;

namespace PredictionService;

/// <summary>What a request to this service's model looks like, and the parsing of one sample with messages that name
/// the JSON element: float32 models take <c>pixels</c>/<c>images</c>, int64 token models <c>tokens</c>/<c>batch</c>.</summary>
internal sealed class RequestForm
{
    private readonly int _length;
    private readonly string _description;
    private readonly bool _pixels;

    public RequestForm(Predictor predictor)
    {
        Tokens = predictor.InputElementType == InputElementType.Int64;
        _length = predictor.InputLength;
        // The document's model takes 28 x 28 images with pixel values in 0..1; any other model, finite values.
        _pixels = predictor.Variant is not null && predictor.InputShape.Count == 1;
        _description = _pixels ? "28 x 28 pixels, row by row" : $"one sample of shape [{string.Join(", ", predictor.InputShape)}], flattened";
        One = Tokens ? "tokens" : "pixels";
        Many = Tokens ? "batch" : "images";
        Samples = Tokens ? "token sequences" : "images";
        Keys = $"'{One}' or '{Many}'";
        Expected = Tokens
            ? $"Expected a JSON object with 'tokens' ({_length} integer token ids) or 'batch' (an array of such arrays)."
            : $"Expected a JSON object with 'pixels' ({_length} numbers{(_pixels ? " in 0..1" : "")}) or 'images' (an array of such arrays).";
    }

    /// <summary>True for a model of int64 token ids.</summary>
    public bool Tokens { get; }

    /// <summary>The key of one sample: <c>pixels</c> or <c>tokens</c>.</summary>
    public string One { get; }

    /// <summary>The key of several samples: <c>images</c> or <c>batch</c>.</summary>
    public string Many { get; }

    /// <summary>What the samples are called in messages.</summary>
    public string Samples { get; }

    /// <summary>The two keys, for messages.</summary>
    public string Keys { get; }

    /// <summary>The message for a body with neither key.</summary>
    public string Expected { get; }

    /// <summary>A message for a body in the other model kind's form (pixels sent to a token model), else null.</summary>
    public string? OtherForm(JsonElement root)
    {
        var other = Tokens ? new[] { "pixels", "images" } : ["tokens", "batch"];
        return other.Any(k => root.TryGetProperty(k, out _))
            ? $"This model takes {(Tokens ? "int64 token ids" : "float32 values")}: {Expected[..1].ToLowerInvariant()}{Expected[1..]}"
            : null;
    }

    public float[] ReadValues(JsonElement element, string name)
    {
        var count = CheckArray(element, name, "numbers");
        var values = new float[count];
        var i = 0;
        foreach (var value in element.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number))
            {
                throw new BadInputException($"'{name}[{i}]' must be a number; found a JSON {Kind(value)}.");
            }
            if (_pixels && !(number >= 0 && number <= 1))
            {
                throw new BadInputException($"'{name}[{i}]' is {number}; pixel values must be in 0..1.");
            }
            if (!float.IsFinite((float)number))
            {
                throw new BadInputException($"'{name}[{i}]' is {number}, beyond float32's range.");
            }
            values[i++] = (float)number;
        }
        return values;
    }

    public long[] ReadTokens(JsonElement element, string name)
    {
        var count = CheckArray(element, name, "integer token ids");
        var tokens = new long[count];
        var i = 0;
        foreach (var value in element.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out tokens[i]))
            {
                throw new BadInputException($"'{name}[{i}]' must be an integer token id; found {(value.ValueKind == JsonValueKind.Number ? value.GetRawText() : "a JSON " + Kind(value))}.");
            }
            i++;
        }
        return tokens;
    }

    public static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    private int CheckArray(JsonElement element, string name, string what)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw new BadInputException($"'{name}' must be an array of {_length} {what}; found a JSON {Kind(element)}.");
        }
        var count = element.GetArrayLength();
        if (count != _length)
        {
            throw new BadInputException($"'{name}' has {count} values; expected {_length} ({_description}).");
        }
        return count;
    }
}

/// <summary>A request body that does not hold what the model takes; answered with 400 and this message.</summary>
internal sealed class BadInputException(string message) : Exception(message);
