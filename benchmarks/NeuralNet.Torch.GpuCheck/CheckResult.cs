namespace NeuralNet.Torch.GpuCheck;

/// <summary>What one check's child process reported.</summary>
/// <param name="Name">The check's name.</param>
/// <param name="Title">What it shows.</param>
/// <param name="Status">PASS, FAIL or SKIP (its CUDA half did not run).</param>
/// <param name="Detail">One line: the numbers that decided, or why it failed.</param>
/// <param name="Values">The <c>number:</c> and <c>info:</c> lines, in order, as <c>name = value</c>.</param>
/// <param name="ErrorTail">The last lines of its standard error when it failed; empty otherwise.</param>
internal sealed record CheckResult(string Name, string Title, string Status, string Detail, IReadOnlyList<string> Values, string ErrorTail)
{
    /// <summary>Reads a check's output lines; a missing status (a crash, a timeout) is a FAIL saying how it ended.</summary>
    public static CheckResult Parse(string name, string title, int exitCode, string stdout, string stderr, bool timedOut)
    {
        var values = new List<string>();
        string? status = null;
        var detail = string.Empty;
        foreach (var line in stdout.ReplaceLineEndings("\n").Split('\n'))
        {
            if (line.StartsWith("number: ", StringComparison.Ordinal) || line.StartsWith("info: ", StringComparison.Ordinal))
            {
                values.Add(line[(line.IndexOf(' ') + 1)..]);
            }
            else if (line.StartsWith("status: ", StringComparison.Ordinal))
            {
                status = line["status: ".Length..].Trim();
            }
            else if (line.StartsWith("detail: ", StringComparison.Ordinal))
            {
                detail = line["detail: ".Length..].Trim();
            }
        }
        var ending = timedOut ? "timed out" : exitCode > 128 ? $"killed by signal {exitCode - 128} (exit code {exitCode})" : $"exit code {exitCode}";
        if (status is null)
        {
            status = "FAIL";
            detail = $"no result: {ending}";
        }
        else if (exitCode != 0 && status != "FAIL")
        {
            status = "FAIL";
            detail = $"{detail} (then {ending})";
        }
        var tail = status == "FAIL" ? string.Join('\n', stderr.TrimEnd().Split('\n').TakeLast(12)) : string.Empty;
        return new CheckResult(name, title, status, detail, values, tail);
    }

    /// <summary>The value of <c>name = value</c> in <see cref="Values"/>, or null.</summary>
    public string? Value(string name) =>
        Values.FirstOrDefault(v => v.StartsWith(name + " = ", StringComparison.Ordinal))?[(name.Length + 3)..];
}
