using NeuralNet.Torch.Training;
using ScottPlot;

namespace Train;

/// <summary>The PNG written after training: mean training loss (left axis) and test accuracy in % (right axis) per epoch.</summary>
internal static class TrainingPlot
{
    public const int Width = 800;
    public const int Height = 500;

    /// <summary>Writes the plot and returns its full path.</summary>
    public static string Save(TrainingResult result, string path)
    {
        double[] epochs = [.. result.Epochs.Select(e => (double)e.Epoch)];
        var plot = new Plot();
        var loss = plot.Add.Scatter(epochs, [.. result.Epochs.Select(e => e.TrainLoss)]);
        loss.LegendText = "training loss (mean per batch)";
        loss.LineWidth = 2;
        var accuracy = plot.Add.Scatter(epochs, [.. result.Epochs.Select(e => 100 * e.TestAccuracy)]);
        accuracy.LegendText = "test accuracy (%)";
        accuracy.LineWidth = 2;
        accuracy.Axes.YAxis = plot.Axes.Right;
        plot.Title("Training on FashionMNIST");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        plot.Axes.SetLimitsY(0, 1.1 * Math.Max(result.Epochs.Max(e => e.TrainLoss), 1e-3), plot.Axes.Left);
        plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
        plot.ShowLegend(Alignment.LowerLeft);
        var fullPath = Path.GetFullPath(path);
        plot.SavePng(fullPath, Width, Height);
        return fullPath;
    }
}
