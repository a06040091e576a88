using System.Diagnostics;
using System.Reflection;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>Runs a child process (dotnet, an example) and captures what it prints.</summary>
internal static class ProcessRunner
{
    /// <summary>The configuration these tests were built in (Debug or Release): examples are built in the same one.</summary>
    public static string Configuration { get; } =
        typeof(ProcessRunner).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>Runs <paramref name="fileName"/> to completion and returns its exit code and output.</summary>
    public static (int ExitCode, string StandardOutput, string StandardError) Run(
        string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        // The test host runs under MSBuild/VSTest variables that would leak into a nested dotnet build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}.");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a built example (<c>examples/&lt;folder&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;name&gt;.dll</c>).</summary>
    public static (int ExitCode, string StandardOutput, string StandardError) RunExample(
        string folder, string name, IEnumerable<string>? arguments = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var dll = Path.Combine(TestPaths.RepositoryRoot, "examples", folder, "bin", Configuration, "net10.0", name + ".dll");
        File.Exists(dll).Should().BeTrue($"the test project builds the example first ({dll})");
        return Run("dotnet", [dll, .. arguments ?? []], TestPaths.RepositoryRoot, TimeSpan.FromMinutes(2), environment);
    }
}
