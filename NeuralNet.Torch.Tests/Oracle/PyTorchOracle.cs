using NeuralNet.Torch.Tests.TestSupport;

namespace NeuralNet.Torch.Tests.Oracle;

/// <summary>
/// Real PyTorch as the test oracle: runs a committed script of <c>Oracle/Scripts</c> with the oracle's python and
/// hands back what it wrote (<see cref="OracleRun"/>). See <c>Oracle/README.md</c>.
/// </summary>
/// <remarks>
/// <para>The python is <c>/usr/bin/python3</c> (Debian's <c>python3-torch</c>), or <see cref="PythonVariable"/>.
/// Where it cannot <c>import torch</c>, <see cref="Run"/> ignores the calling test (or fixture, from a
/// <c>OneTimeSetUp</c>) with a reason that gives the install command: skipped, never failed, never passed.</para>
/// <para>Where torch imports but the script fails, or its manifest is missing or malformed, the test FAILS with the
/// script's standard error.</para>
/// </remarks>
internal static class PyTorchOracle
{
    /// <summary>The NUnit category of every test that needs the oracle.</summary>
    public const string Category = "PyTorchOracle";

    /// <summary>Overrides the oracle's python interpreter.</summary>
    public const string PythonVariable = "NEURALNET_ORACLE_PYTHON";

    /// <summary>How to get the oracle on Debian 12 (what the skip reason says).</summary>
    public const string InstallCommand = "apt-get install -y --no-install-recommends python3-torch python3-onnx";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static readonly Lazy<(string? Version, string Problem)> Probe = new(ProbeTorch);

    /// <summary>The oracle's python interpreter.</summary>
    public static string Python => Environment.GetEnvironmentVariable(PythonVariable) is { Length: > 0 } custom ? custom : "/usr/bin/python3";

    /// <summary>The folder of the committed scripts (copied beside the test assembly).</summary>
    public static string ScriptsFolder { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Oracle", "Scripts");

    /// <summary><c>torch.__version__</c> of the oracle, or null where it cannot import torch.</summary>
    public static string? TorchVersion => Probe.Value.Version;

    /// <summary>Ignores the calling test or fixture (with the reason and the install command) where torch is absent.</summary>
    public static void RequireTorch()
    {
        if (Probe.Value.Version is null)
        {
            Assert.Ignore($"Needs real PyTorch as the oracle: {Probe.Value.Problem} Install it with `{InstallCommand}` " +
                $"(or point {PythonVariable} at a python that has torch).");
        }
    }

    /// <summary>Runs <paramref name="script"/> (a file of <see cref="ScriptsFolder"/>) in a fresh temp folder and
    /// returns what it wrote; the caller disposes the result (which deletes the folder).</summary>
    /// <param name="script">The script's file name, e.g. <c>zoo_parity.py</c>.</param>
    /// <param name="arguments">Extra arguments after the output folder.</param>
    public static OracleRun Run(string script, params string[] arguments)
    {
        RequireTorch();
        var scriptPath = System.IO.Path.Combine(ScriptsFolder, script);
        if (!File.Exists(scriptPath))
        {
            throw new OracleException($"Oracle script {scriptPath} does not exist.");
        }
        var folder = Directory.CreateTempSubdirectory("neuralnet-oracle-").FullName;
        try
        {
            var (exitCode, stdout, stderr) = ProcessRunner.Run(
                Python, ["-B", scriptPath, folder, .. arguments], ScriptsFolder, Timeout,
                new Dictionary<string, string?> { ["PYTHONPATH"] = ScriptsFolder, ["PYTHONHASHSEED"] = "0", ["OMP_NUM_THREADS"] = "1" });
            if (exitCode != 0)
            {
                throw new OracleException($"Oracle script {script} failed (exit code {exitCode}):\n{stderr}{stdout}");
            }
            return OracleRun.Open(script, folder);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    private static (string? Version, string Problem) ProbeTorch()
    {
        try
        {
            var (exitCode, stdout, stderr) = ProcessRunner.Run(
                Python, ["-c", "import torch; print(torch.__version__)"], AppContext.BaseDirectory, TimeSpan.FromMinutes(2));
            return exitCode == 0
                ? (stdout.Trim(), "")
                : (null, $"`{Python} -c \"import torch\"` failed: {stderr.Trim().Split('\n').LastOrDefault()}.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"{Python} could not be started ({e.Message}).");
        }
    }
}
