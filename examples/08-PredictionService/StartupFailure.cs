using Microsoft.Extensions.Options;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Serving;

namespace PredictionService;

/// <summary>The lines a failure to build the predictor prints at start: each names the setting and the problem.</summary>
internal static class StartupFailure
{
    public static IEnumerable<string> Lines(Exception failure, PredictorOptions settings)
    {
        switch (failure)
        {
            case OptionsValidationException invalid:
                // The library's messages start with the setting's name: "WeightsPath '/x.pth' does not exist ...".
                return invalid.Failures.Select(f => ServiceSettings.Describe(Setting(f) ?? "Predictor", f));
            case CheckpointException file:
                return [ServiceSettings.Describe(settings.ModelPath is not null ? "ModelPath" : "WeightsPath", file.Message)];
            default:
                // The first line, without ArgumentException's " (Parameter 'options')".
                var message = failure.Message.Split('\n', 2)[0];
                if (failure is ArgumentException { ParamName: { } parameter })
                {
                    message = message.Replace($" (Parameter '{parameter}')", "", StringComparison.Ordinal);
                }
                var setting = Setting(message);
                return [setting is null ? $"the model could not be loaded: {message}" : ServiceSettings.Describe(setting, message)];
        }
    }

    // The first known setting the message names.
    private static string? Setting(string message) =>
        ServiceSettings.Sources.Keys.Concat(["ClassNames", "Engine", "Device", "Precision", "MaxBatchSize", "MaxBatchWait", "QueueCapacity", "PackedMaxBatchSize"])
            .Select(s => (Setting: s, At: message.IndexOf(s, StringComparison.Ordinal)))
            .Where(s => s.At >= 0).OrderBy(s => s.At).Select(s => s.Setting).FirstOrDefault();
}
