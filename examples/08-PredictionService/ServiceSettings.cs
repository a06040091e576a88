using System.Globalization;
using NeuralNet.Torch;
using NeuralNet.Torch.Serving;

namespace PredictionService;

/// <summary>The service's settings: the <c>Predictor</c> configuration section (environment variables
/// <c>Predictor__WeightsPath</c>, <c>Predictor__ModelPath</c>, <c>Predictor__InputShape=1,28,28</c>, ...) with the
/// command-line shortcuts on top (<c>--weights</c>, <c>--model</c>, <c>--input-shape</c>, <c>--input-type</c>,
/// <c>--variant</c>). Paths are made absolute against the current directory here, so every message shows the file
/// that was looked for.</summary>
internal static class ServiceSettings
{
    /// <summary>Where each setting a user sets comes from, for start-up messages.</summary>
    public static IReadOnlyDictionary<string, string> Sources { get; } = new Dictionary<string, string>
    {
        ["WeightsPath"] = "--weights or Predictor__WeightsPath",
        ["ModelPath"] = "--model or Predictor__ModelPath",
        ["InputShape"] = "--input-shape or Predictor__InputShape",
        ["InputElementType"] = "--input-type or Predictor__InputElementType",
        ["Variant"] = "--variant or Predictor__Variant",
    };

    /// <summary>Fills <paramref name="options"/> from <paramref name="configuration"/>.</summary>
    /// <exception cref="SettingException">A shortcut's value cannot be read (names the setting and the value).</exception>
    public static void Apply(IConfiguration configuration, PredictorOptions options)
    {
        var section = configuration.GetSection("Predictor");
        section.Bind(options);
        // The binder reads a list only from indexed keys (Predictor__InputShape__0=1, ...); "1,28,28" is read here.
        if ((configuration["input-shape"] ?? section["InputShape"]) is { } shape)
        {
            options.InputShape = ParseShape(shape);
        }
        if (configuration["input-type"] is { } type)
        {
            options.InputElementType = type.ToLowerInvariant() switch
            {
                "float32" => InputElementType.Float32,
                "int64" => InputElementType.Int64,
                _ => throw new SettingException("InputElementType", $"must be float32 or int64; found '{type}'."),
            };
        }
        if (configuration["variant"] is { } variant)
        {
            options.Variant = variant.ToLowerInvariant() switch
            {
                "documented" => NeuralNetworkVariant.Documented,
                "quickstart" => NeuralNetworkVariant.Quickstart,
                _ => throw new SettingException("Variant", $"must be documented or quickstart; found '{variant}'."),
            };
        }
        options.WeightsPath = Absolute(configuration["weights"] ?? options.WeightsPath);
        options.ModelPath = Absolute(configuration["model"] ?? options.ModelPath);
    }

    /// <summary>The one line a start-up failure prints: the setting, where it comes from, and the problem.</summary>
    public static string Describe(string setting, string problem)
    {
        var line = problem.StartsWith(setting, StringComparison.Ordinal) ? problem : $"{setting}: {problem}";
        return Sources.TryGetValue(setting, out var source) ? $"{line} [{source}]" : line;
    }

    private static long[] ParseShape(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
            {
                throw new SettingException("InputShape", $"must be sizes of at least 1 separated by commas, e.g. 1,28,28; found '{text}'.");
            }
        }
        return shape;
    }

    private static string? Absolute(string? path) => string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path);
}

/// <summary>A setting the service cannot read.</summary>
internal sealed class SettingException(string setting, string problem) : Exception(ServiceSettings.Describe(setting, problem))
{
    public string Setting { get; } = setting;
}
