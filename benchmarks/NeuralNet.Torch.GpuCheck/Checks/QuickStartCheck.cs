using System.Diagnostics;
using System.Text.RegularExpressions;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>Runs the repository's examples/01-QuickStart program (published next to this one) with
/// <c>NEURALNET_DEVICE=cuda</c>, and checks it prints <c>Using cuda device</c>, the model and a predicted class;
/// without CUDA, runs it on the CPU instead and marks the CUDA half skipped.</summary>
internal static partial class QuickStartCheck
{
    public static void Run(CheckOutput output, string? quickStart)
    {
        quickStart ??= Path.Combine(AppContext.BaseDirectory, "QuickStart");
        if (!File.Exists(quickStart) && !File.Exists(quickStart + ".dll"))
        {
            output.Fail($"QuickStart not found at {quickStart} (benchmarks/gpu-check.sh build publishes it next to this program).");
            return;
        }
        var cuda = Cuda.TryGet(out var reason) is not null;
        var device = cuda ? "cuda" : "cpu";
        var (exitCode, stdout, stderr) = RunProgram(quickStart, device);
        var lines = stdout.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        output.Info($"{device}_exit_code", exitCode);
        output.Info($"{device}_first_line", lines[0]);
        output.Info($"{device}_last_line", lines[^1]);
        var ok = exitCode == 0 && lines.Length == 13 && lines[0] == $"Using {device} device"
            && lines[1] == "NeuralNetwork(" && PredictedClass().Match(lines[^1]) is { Success: true } match
            && match.Groups[1].Value == (cuda ? ", device='cuda:0'" : string.Empty);
        var what = ok ? $"printed 'Using {device} device', the model and '{lines[^1]}'"
            : $"exit code {exitCode}, {lines.Length} lines, stderr: {stderr.Trim()}";
        if (!ok)
        {
            output.Fail($"NEURALNET_DEVICE={device}: {what}");
        }
        else if (cuda)
        {
            output.Pass($"NEURALNET_DEVICE=cuda: {what}");
        }
        else
        {
            output.Skip($"{reason}; CPU half: NEURALNET_DEVICE=cpu {what}");
        }
    }

    private static (int, string, string) RunProgram(string path, string device)
    {
        var start = File.Exists(path) ? new ProcessStartInfo(path) : new ProcessStartInfo("dotnet") { ArgumentList = { path + ".dll" } };
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment[Devices.EnvironmentVariable] = device;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, stdout.Result, "timed out after 2 minutes");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    // PyTorch prints a CUDA tensor with its device: tensor([3], device='cuda:0').
    [GeneratedRegex(@"^Predicted class: tensor\(\[[0-9]\](.*)\)$")]
    private static partial Regex PredictedClass();
}
