using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>The PredictionService example (examples/08) started as a real process on loopback (a free port), as an
/// operator would start it; killed on dispose.</summary>
internal sealed class PredictionServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;

    private PredictionServiceProcess(Process process, string url, StringBuilder log)
    {
        _process = process;
        Url = url;
        _log = log;
    }

    /// <summary>The address it listens on, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; }

    /// <summary>What it has printed so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The built example.</summary>
    public static string Dll { get; } =
        Path.Combine(TestPaths.RepositoryRoot, "examples", "08-PredictionService", "bin", ProcessRunner.Configuration, "net10.0", "PredictionService.dll");

    /// <summary>Starts it with <paramref name="arguments"/> after <c>--urls</c> and waits until it listens (a minute
    /// at most); <c>NEURALNET_DEVICE=cpu</c> unless <paramref name="environment"/> says otherwise.</summary>
    public static PredictionServiceProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TestPaths.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Dll, "--urls", "http://127.0.0.1:0" }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["NEURALNET_DEVICE"] = "cpu";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var log = new StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("The service exited before listening:\n" + log));
                return;
            }
            lock (log)
            {
                log.AppendLine(e.Data);
            }
            var match = Regex.Match(e.Data, @"Now listening on: (http://127\.0\.0\.1:[0-9]+)");
            if (match.Success)
            {
                listening.TrySetResult(match.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!listening.Task.Wait(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The service did not start listening within a minute:\n" + log);
        }
        return new PredictionServiceProcess(process, listening.Task.Result, log);
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
