// The GPU check: proves the library on a CUDA machine that has PyTorch but no .NET (see benchmarks/README.md, "GPU").
// benchmarks/gpu-check.sh builds it self-contained and runs it; by hand:
//
//   NeuralNet.Torch.GpuCheck [--report FILE] [--checks a,b,...] [--gpu-name TEXT] [--python-torch VERSION]
//                            [--python-cuda true|false] [--ld-fallback DIRS] [--quickstart PATH] [--timeout SECONDS]
//   NeuralNet.Torch.GpuCheck check NAME [--quickstart PATH]     (one check, in this process; what the orchestrator runs)
//   NeuralNet.Torch.GpuCheck dump                               (CPU predictions' bits, for the tests)
//
// libtorch comes from NEURALNET_LIBTORCH_DIR (the script sets it to Python's torch/lib), or from a backend package.
using System.Globalization;
using NeuralNet.Torch.GpuCheck;
using NeuralNet.Torch.GpuCheck.Checks;
using NeuralNet.Torch.Native;

var options = new Dictionary<string, string>();
var positional = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    if (args[i].StartsWith("--", StringComparison.Ordinal) && i + 1 < args.Length)
    {
        options[args[i][2..]] = args[++i];
    }
    else if (args[i].StartsWith("--", StringComparison.Ordinal))
    {
        return Usage($"option {args[i]} needs a value");
    }
    else
    {
        positional.Add(args[i]);
    }
}
var known = new[] { "report", "checks", "gpu-name", "python-torch", "python-cuda", "ld-fallback", "quickstart", "timeout" };
if (options.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
{
    return Usage($"unknown option --{unknown}");
}
options.TryGetValue("quickstart", out var quickStart);

switch (positional)
{
    case ["check", var name]:
        var output = new CheckOutput(Console.Out);
        try
        {
            if (name != "symbols")
            {
                // Before any TorchSharp call, so that NEURALNET_LIBTORCH_DIR takes effect.
                TorchRuntime.Initialize();
            }
            CheckTable.Run(name, output, quickStart);
            return 0;
        }
        catch (Exception e)
        {
            output.Fail($"{e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e);
            return 1;
        }
    case ["dump"]:
        Dump.Write(Console.Out);
        return 0;
    case []:
        bool? pythonCuda = options.TryGetValue("python-cuda", out var cuda) ? bool.Parse(cuda) : null;
        var settings = new Orchestrator.Settings(
            options.GetValueOrDefault("report") ?? "gpu-check-report.md",
            options.TryGetValue("checks", out var checks) ? checks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : CheckTable.Default.Select(c => c.Name).ToArray(),
            options.GetValueOrDefault("gpu-name"), options.GetValueOrDefault("python-torch"), pythonCuda,
            options.GetValueOrDefault("ld-fallback"), quickStart,
            TimeSpan.FromSeconds(options.TryGetValue("timeout", out var timeout) ? double.Parse(timeout, CultureInfo.InvariantCulture) : 180));
        try
        {
            return Orchestrator.Run(settings);
        }
        catch (ArgumentException e)
        {
            return Usage(e.Message);
        }
    default:
        return Usage($"unexpected arguments '{string.Join(' ', positional)}'");
}

static int Usage(string problem)
{
    Console.Error.WriteLine($"error: {problem} (usage: NeuralNet.Torch.GpuCheck [--report FILE] [--checks a,b] [--gpu-name TEXT] " +
        "[--python-torch VERSION] [--python-cuda true|false] [--ld-fallback DIRS] [--quickstart PATH] [--timeout SECONDS] | check NAME | dump)");
    return 2;
}
