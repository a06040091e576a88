// Benchmarks of NeuralNet.Torch against raw TorchSharp, ONNX Runtime and a managed baseline, on the same weights.
//
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- --filter '*'               (full jobs)
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- --filter '*' --job short   (3 iterations)
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- accuracy    (bf16 vs fp32 on real data)
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- predictor   (16 clients vs batch 64)
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- cutover     (packed vs libtorch by batch)
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- targets [rounds] [row-name-part] (the targets, interleaved)
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- targets-training [rounds] (its training rows only)
//   dotnet run -c Release --project benchmarks/NeuralNet.Torch.Benchmarks -- probe|overhead (diagnostics)
//
// BenchmarkDotNet runs in process (libtorch's native files are already in place in this build's output, patched
// for Debian 12's libstdc++ by the build), with the memory diagnoser on.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using NeuralNet.Torch.Benchmarks;

if (args.Length > 0 && args[0] == "accuracy")
{
    return AccuracyRun.Run(args.Skip(1).ToArray());
}
if (args.Length > 0 && args[0] == "targets")
{
    return TargetsRun.Run(args.Skip(1).ToArray());
}
if (args.Length > 0 && args[0] == "targets-training")
{
    return TargetsRun.RunTraining(args.Skip(1).ToArray());
}
if (args.Length > 0 && args[0] == "overhead")
{
    return OverheadProbe.Run(args);
}
if (args.Length > 0 && args[0] == "probe")
{
    return ProbeRun.Run(args.Skip(1).ToArray());
}
if (args.Length > 0 && args[0] == "cutover")
{
    return CutOverRun.Run(args.Skip(1).ToArray());
}
if (args.Length > 0 && args[0] == "predictor")
{
    return PredictorRun.Run(args.Skip(1).ToArray());
}

var rest = args.ToList();
var job = Job.Default;
var index = rest.FindIndex(a => a == "--job");
if (index >= 0 && index + 1 < rest.Count && rest[index + 1].Equals("short", StringComparison.OrdinalIgnoreCase))
{
    job = Job.ShortRun;
    rest.RemoveRange(index, 2);
}
Console.WriteLine(Machine.Describe());
var config = DefaultConfig.Instance
    .AddJob(job.WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.JoinSummary);
if (Machine.NoBFloat16 is { } noBFloat16)
{
    // The library's bf16 cases are refused on this CPU: each says so instead of failing the run.
    config = config.AddFilter(new SimpleFilter(c =>
    {
        var name = c.Descriptor.WorkloadMethod.Name;
        var bf16 = name.StartsWith("Library", StringComparison.Ordinal) && name.Contains("BFloat16", StringComparison.Ordinal);
        if (bf16)
        {
            Console.WriteLine($"n/a: {c.Descriptor.Type.Name}.{name}: {noBFloat16}");
        }
        return !bf16;
    }));
}
BenchmarkSwitcher.FromAssembly(typeof(InferenceBenchmarks).Assembly).Run(rest.ToArray(), config);
return 0;
