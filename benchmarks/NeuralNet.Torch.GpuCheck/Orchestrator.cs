using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using NeuralNet.Torch.GpuCheck.Checks;
using NeuralNet.Torch.Native;

namespace NeuralNet.Torch.GpuCheck;

/// <summary>Runs every check in a child process of its own (this program with <c>check NAME</c>), so a native crash
/// or a hang in one costs that check only, and writes the report after each.</summary>
/// <remarks>This process never loads libtorch. When the <c>runtime</c> check fails on an undefined symbol (strict
/// linking, the library's default), it is retried with the glue linked lazily and, if that loads, the later checks run
/// so (the report says it). When Python's torch saw CUDA
/// (<see cref="Settings.PythonCuda"/>) but the library's plain load did not, it is retried once with
/// <see cref="Settings.LdFallback"/> (the folders of the CUDA libraries Python's torch had loaded) prepended to
/// <c>LD_LIBRARY_PATH</c>, and the remaining checks run with whichever worked; the report says which.</remarks>
internal static class Orchestrator
{
    // The library's diagnostic switch for linking TorchSharp's glue lazily (TorchRuntime.LazyBindingVariable).
    private const string LazyBindingVariable = "NEURALNET_LIBTORCH_LAZY";

    /// <summary>The orchestrator's command line.</summary>
    internal sealed record Settings(
        string ReportPath, IReadOnlyList<string> Checks, string? GpuName, string? PythonTorch, bool? PythonCuda,
        string? LdFallback, string? QuickStart, TimeSpan Timeout);

    public static int Run(Settings settings)
    {
        var planned = settings.Checks.Select(n => (n, CheckTable.Title(n) ?? throw new ArgumentException(
            $"Unknown check '{n}': expected one of {string.Join(", ", CheckTable.Default.Select(c => c.Name))} or crash."))).ToList();
        var report = new Report(settings.ReportPath, planned);
        report.Set("date (UTC)", DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
        report.Set("machine", $"{Environment.MachineName}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores");
        report.Set("GPU", settings.GpuName ?? "not reported (no nvidia-smi or CUDA torch)");
        report.Set(TorchRuntime.LibTorchDirectoryVariable, Environment.GetEnvironmentVariable(TorchRuntime.LibTorchDirectoryVariable) ?? "(not set)");
        report.Set("python3 torch", settings.PythonTorch is null ? "not reported"
            : $"{settings.PythonTorch} (torch.cuda.is_available(): {settings.PythonCuda?.ToString() ?? "not reported"})");
        report.Write();

        var environment = new Dictionary<string, string>();
        foreach (var (name, title) in planned)
        {
            var result = RunChild(name, title, settings, environment);
            if (name == "runtime")
            {
                result = RetryLazily(result, settings, environment, report);
                result = RetryWithLdFallback(result, settings, environment, report);
                report.Set("libtorch (library's reading)", $"{result.Value("libtorch_version") ?? "?"} from {result.Value("libtorch_dir") ?? "?"}");
                report.Set("TorchSharp", result.Value("torchsharp") ?? "?");
                report.Set("NeuralNet.Torch", result.Value("neuralnet_torch") ?? "?");
                report.Set("CUDA available (library)", result.Value("cuda_available") ?? "?");
            }
            report.Add(result);
            Console.WriteLine($"{result.Status,-4}  {name}: {result.Detail}");
        }
        Console.WriteLine($"report: {Path.GetFullPath(settings.ReportPath)}");
        return report.Failed == 0 ? 0 : 1;
    }

    // Strict linking (the library's default) names only the first symbol the libtorch lacks; linked lazily, the other
    // checks can still show what runs (each in its own process, so a call into a missing function costs one check).
    private static CheckResult RetryLazily(CheckResult strict, Settings settings, Dictionary<string, string> environment, Report report)
    {
        if (strict.Status != "FAIL" || !strict.Detail.Contains("undefined symbol", StringComparison.Ordinal))
        {
            report.Set("linking", strict.Status == "FAIL" ? "not reached" : "strict (RTLD_NOW): every symbol the glue links resolved at load");
            return strict;
        }
        var lazy = new Dictionary<string, string>(environment) { [LazyBindingVariable] = "1" };
        var retry = RunChild("runtime", strict.Title, settings, lazy);
        if (retry.Status == "FAIL")
        {
            report.Set("linking", $"strict failed, and lazily ({LazyBindingVariable}=1) too: {retry.Detail}");
            return strict;
        }
        environment[LazyBindingVariable] = "1";
        report.Set("linking", $"strict FAILED (see runtime); every later check ran with {LazyBindingVariable}=1 (lazy: a call into a missing function ends that check)");
        return strict with { Detail = $"{strict.Detail} || linked lazily instead: {retry.Detail}", Values = retry.Values };
    }

    private static CheckResult RetryWithLdFallback(CheckResult plain, Settings settings, Dictionary<string, string> environment, Report report)
    {
        if (settings.PythonCuda != true || plain.Value("cuda_available") == "True" || string.IsNullOrEmpty(settings.LdFallback)
            || plain.Values.Count == 0)
        {
            report.Set("LD_LIBRARY_PATH", "not changed by the check");
            return plain;
        }
        var current = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        var candidate = new Dictionary<string, string>(environment)
        {
            ["LD_LIBRARY_PATH"] = string.IsNullOrEmpty(current) ? settings.LdFallback : settings.LdFallback + ":" + current,
        };
        var retry = RunChild("runtime", plain.Title, settings, candidate);
        if (retry.Value("cuda_available") != "True")
        {
            report.Set("LD_LIBRARY_PATH", $"not changed: the retry with Python's CUDA library folders ({settings.LdFallback}) found no CUDA either");
            return plain;
        }
        foreach (var (key, value) in candidate)
        {
            environment[key] = value;
        }
        report.Set("LD_LIBRARY_PATH", $"NEEDED: the plain load found no CUDA ({plain.Detail}); with {settings.LdFallback} prepended it did, and every later check ran so");
        return retry;
    }

    private static CheckResult RunChild(string name, string title, Settings settings, IReadOnlyDictionary<string, string> environment)
    {
        var start = SelfStart();
        start.ArgumentList.Add("check");
        start.ArgumentList.Add(name);
        if (settings.QuickStart is not null)
        {
            start.ArgumentList.Add("--quickstart");
            start.ArgumentList.Add(settings.QuickStart);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the check {name}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var timedOut = !process.WaitForExit(settings.Timeout);
        if (timedOut)
        {
            process.Kill(entireProcessTree: true);
        }
        process.WaitForExit();
        return CheckResult.Parse(name, title, timedOut ? -1 : process.ExitCode, stdout.Result, stderr.Result, timedOut);
    }

    // The published apphost runs itself; under `dotnet NeuralNet.Torch.GpuCheck.dll` the child needs the dll too.
    private static ProcessStartInfo SelfStart()
    {
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("The process path is unknown.");
        var start = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Orchestrator).Assembly.Location);
        }
        return start;
    }
}
