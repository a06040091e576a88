using NeuralNet.Torch.Training;
using ScottPlot;

namespace Evaluate;

/// <summary>The PNG of <c>--plot</c>: the confusion matrix as a heatmap, actual classes down, predicted across, each
/// cell labelled with its count.</summary>
internal static class ConfusionPlot
{
    public const int Width = 900;
    public const int Height = 800;

    /// <summary>Writes the plot and returns its full path.</summary>
    public static string Save(ConfusionMatrix matrix, IReadOnlyList<string> classNames, string path)
    {
        var n = matrix.ClassCount;
        var counts = new double[n, n];
        for (var a = 0; a < n; a++)
        {
            for (var p = 0; p < n; p++)
            {
                counts[a, p] = matrix[a, p];
            }
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(counts);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(heatmap);
        // Row 0 is drawn at the top: actual class a sits at y = n - 1 - a.
        for (var a = 0; a < n; a++)
        {
            for (var p = 0; p < n; p++)
            {
                var label = plot.Add.Text(matrix[a, p].ToString(System.Globalization.CultureInfo.InvariantCulture), p, n - 1 - a);
                label.LabelAlignment = Alignment.MiddleCenter;
                label.LabelFontColor = matrix[a, p] > 0.5 * counts.Cast<double>().Max() ? Colors.Black : Colors.White;
            }
        }
        double[] positions = [.. Enumerable.Range(0, n).Select(i => (double)i)];
        string[] names = [.. Enumerable.Range(0, n).Select(i => i < classNames.Count ? classNames[i] : $"{i}")];
        plot.Axes.Bottom.SetTicks(positions, names);
        plot.Axes.Left.SetTicks([.. positions.Reverse()], names);
        // ScottPlot's recipe for long category names: rotated labels starting at the tick, and room below for them.
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 110;
        plot.XLabel("predicted");
        plot.YLabel("actual");
        plot.Title($"Confusion matrix ({matrix.Correct} of {matrix.Total} correct)");
        var fullPath = Path.GetFullPath(path);
        plot.SavePng(fullPath, Width, Height);
        return fullPath;
    }
}
