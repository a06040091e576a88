namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>Every check by name, in the order the orchestrator runs them.</summary>
internal static class CheckTable
{
    /// <summary>The checks run by default: name and what it shows.</summary>
    public static IReadOnlyList<(string Name, string Title)> Default { get; } =
    [
        ("symbols", "libtorch has every function TorchSharp's glue links"),
        ("runtime", "libtorch loads from NEURALNET_LIBTORCH_DIR"),
        ("quickstart", "examples/01-QuickStart with NEURALNET_DEVICE=cuda"),
        ("predict-mlp", "documented model, Predict: CPU vs CUDA (batches 64, 1024)"),
        ("predict-cnn", "small CNN, forward + softmax: CPU vs CUDA (batch 64)"),
        ("predictor", "Predictor on CUDA, 16 concurrent callers, vs CPU Predict"),
        ("training", "training slice (20 batches of 64): CPU vs CUDA losses"),
        ("checkpoint", "checkpoint saved from CUDA tensors, loaded on the CPU"),
        ("latency", "Predict latency, batch 1 / 64 / 4096: CPU vs CUDA"),
    ];

    /// <summary>The title of <paramref name="name"/>, or null when there is no such check.</summary>
    public static string? Title(string name) =>
        name == "crash" ? "a check that crashes (isolation test)" : Default.FirstOrDefault(c => c.Name == name).Title;

    /// <summary>Runs one check in this process.</summary>
    public static void Run(string name, CheckOutput output, string? quickStart)
    {
        Action action = name switch
        {
            "symbols" => () => SymbolsCheck.Run(output),
            "runtime" => () => RuntimeCheck.Run(output),
            "quickstart" => () => QuickStartCheck.Run(output, quickStart),
            "predict-mlp" => () => PredictionCheck.RunMlp(output),
            "predict-cnn" => () => PredictionCheck.RunCnn(output),
            "predictor" => () => PredictorCheck.Run(output),
            "training" => () => TrainingCheck.Run(output),
            "checkpoint" => () => CheckpointCheck.Run(output),
            "latency" => () => LatencyCheck.Run(output),
            "crash" => () => CrashCheck.Run(output),
            _ => throw new ArgumentException($"Unknown check '{name}': expected one of {string.Join(", ", Default.Select(c => c.Name))} or crash."),
        };
        action();
    }
}
