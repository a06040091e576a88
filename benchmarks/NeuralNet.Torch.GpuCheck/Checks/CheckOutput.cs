using System.Globalization;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>What a check prints, one line at a time as it goes (so a crash part-way keeps what was measured):
/// <c>number: name = value</c>, <c>info: name = value</c>, and finally <c>status: PASS|FAIL|SKIP</c> and
/// <c>detail: ...</c>. The orchestrator (<see cref="Orchestrator"/>) reads these lines back.</summary>
internal sealed class CheckOutput(TextWriter writer)
{
    /// <summary>The tolerance of every CPU-vs-CUDA comparison.</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Writes a measured value.</summary>
    public void Number(string name, double value) =>
        writer.WriteLine($"number: {name} = {value.ToString("G6", CultureInfo.InvariantCulture)}");

    /// <summary>Writes a fact that is not a number.</summary>
    public void Info(string name, object? value) => writer.WriteLine($"info: {name} = {value}");

    /// <summary>Ends the check: passed.</summary>
    public void Pass(string detail) => End("PASS", detail);

    /// <summary>Ends the check: failed.</summary>
    public void Fail(string detail) => End("FAIL", detail);

    /// <summary>Ends the check: its CUDA half did not run (its CPU half's numbers are above).</summary>
    public void Skip(string detail) => End("SKIP", detail);

    /// <summary>Ends the check with PASS when <paramref name="passed"/>, else FAIL.</summary>
    public void Verdict(bool passed, string detail) => End(passed ? "PASS" : "FAIL", detail);

    private void End(string status, string detail)
    {
        writer.WriteLine($"status: {status}");
        writer.WriteLine($"detail: {detail.ReplaceLineEndings(" ")}");
    }
}
