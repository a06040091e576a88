using System.Globalization;
using NeuralNet.Torch.Inspection;

namespace NeuralNet.Torch.Training;

/// <summary>The PyTorch quickstart's printed lines, with Python's format specs reproduced exactly
/// (<c>&gt;7f</c>: 6 decimals right-aligned in 7; <c>&gt;0.1f</c>: 1 decimal; <c>&gt;8f</c>: 6 decimals in 8;
/// <c>&gt;5d</c>: integer right-aligned in 5; decimals rounded as Python rounds, ties to even).</summary>
internal static class QuickstartText
{
    /// <summary>The 31 dashes printed under <c>Epoch {t}</c>.</summary>
    public const string Rule = "-------------------------------";

    /// <summary><c>Epoch {t}</c>.</summary>
    public static string EpochHeader(int epoch) => string.Create(CultureInfo.InvariantCulture, $"Epoch {epoch}");

    /// <summary><c>loss: {loss:&gt;7f}  [{current:&gt;5d}/{size:&gt;5d}]</c>.</summary>
    public static string LossLine(double loss, long current, long size) =>
        string.Create(CultureInfo.InvariantCulture, $"loss: {PythonFormat.Fixed(loss, 6),7}  [{current,5}/{size,5}]");

    /// <summary>The lines of <c>print(f"Test Error: \n Accuracy: {(100*correct):&gt;0.1f}%, Avg loss: {test_loss:&gt;8f} \n")</c>:
    /// <c>"Test Error: "</c>, <c>" Accuracy: X%, Avg loss: Y "</c> and an empty line (trailing spaces included).</summary>
    /// <param name="correct">Correct samples.</param>
    /// <param name="size">Samples evaluated.</param>
    /// <param name="averageLoss">The average of the per-batch losses.</param>
    public static string[] TestErrorLines(long correct, long size, double averageLoss)
    {
        // Python: correct /= size, then 100*correct, both in double.
        var fraction = (double)correct / size;
        return
        [
            "Test Error: ",
            $" Accuracy: {PythonFormat.Fixed(100 * fraction, 1)}%, Avg loss: {PythonFormat.Fixed(averageLoss, 6),8} ",
            "",
        ];
    }

    /// <summary>The test block without an accuracy (data that is not classification): <c>"Test Error: "</c>,
    /// <c>" Avg loss: Y "</c> and an empty line.</summary>
    /// <param name="averageLoss">The average of the per-batch losses.</param>
    public static string[] TestLossLines(double averageLoss) =>
        ["Test Error: ", $" Avg loss: {PythonFormat.Fixed(averageLoss, 6),8} ", ""];
}
