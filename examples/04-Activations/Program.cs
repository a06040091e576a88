// The document's activation functions and its neuron, output = f(sum(w * x) + b):
// a table of the four functions on sample inputs, the neuron worked through, and a PNG plot of the curves.
//
//   dotnet run --project examples/04-Activations -- [--out DIR]
using System.Globalization;
using NeuralNet.Torch.Activations;
using ScottPlot;
using TorchSharp;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture; // print numbers as Python does, whatever the locale
var outDir = ".";
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--out" && i + 1 < args.Length)
    {
        outDir = args[++i];
    }
    else
    {
        Console.Error.WriteLine($"error: unknown argument '{args[i]}' (usage: Activations [--out DIR])");
        return 2;
    }
}

var kinds = new[] { ActivationKind.BinaryStep, ActivationKind.Sigmoid, ActivationKind.Tanh, ActivationKind.ReLU };
var formulas = new Dictionary<ActivationKind, string>
{
    [ActivationKind.BinaryStep] = "0 for x < 0, 1 for x >= 0",
    [ActivationKind.Sigmoid] = "1 / (1 + e^-x)",
    [ActivationKind.Tanh] = "(e^x - e^-x) / (e^x + e^-x)",
    [ActivationKind.ReLU] = "0 for x < 0, x otherwise",
};
foreach (var kind in kinds)
{
    Console.WriteLine($"{kind,-10} f(x) = {formulas[kind]}");
}
Console.WriteLine();

// 1. The four functions on sample inputs, computed by libtorch.
float[] samples = [-2f, -1f, -0.5f, 0f, 0.5f, 1f, 2f];
Console.WriteLine($"{"x",8} | " + string.Join(" | ", kinds.Select(k => $"{k,10}")));
Console.WriteLine(new string('-', 9) + string.Concat(kinds.Select(_ => "+" + new string('-', 12))));
var columns = kinds.Select(k => Evaluate(k, samples)).ToArray();
for (var row = 0; row < samples.Length; row++)
{
    Console.WriteLine($"{samples[row],8:F4} | " + string.Join(" | ", columns.Select(c => $"{c[row],10:F4}")));
}
Console.WriteLine();

// 2. One neuron: output = f(sum(w * x) + b).
float[] weights = [0.5f, -0.25f, 0.1f];
float[] inputs = [1f, 2f, 3f];
const float bias = 0.2f;
var z = weights.Zip(inputs, (w, x) => w * x).Sum() + bias;
Console.WriteLine($"neuron: w = [{Join(weights)}], x = [{Join(inputs)}], b = {bias.ToString("0.0###", CultureInfo.InvariantCulture)}");
Console.WriteLine($"  sum(w * x) + b = {string.Join(" + ", weights.Zip(inputs, (w, x) => $"{w:0.0###}*{x:0.0###}"))} + {bias:0.0###} = {z:F4}");
using (var x = torch.tensor(inputs))
{
    foreach (var kind in kinds)
    {
        using var neuron = new Neuron(weights, bias, kind);
        using var output = neuron.forward(x);
        Console.WriteLine($"  {kind,-10} output = f({z:F4}) = {output.item<float>():F4}");
    }
}
Console.WriteLine();

// 3. The curves, as a PNG.
var grid = Enumerable.Range(0, 241).Select(i => -6f + i * 0.05f).ToArray();
var plot = new Plot();
foreach (var kind in kinds)
{
    var curve = plot.Add.ScatterLine(grid.Select(v => (double)v).ToArray(), Evaluate(kind, grid).Select(v => (double)v).ToArray());
    curve.LegendText = kind.ToString();
    curve.LineWidth = 2;
}
plot.Title("Activation functions");
plot.XLabel("x");
plot.YLabel("f(x)");
plot.Axes.SetLimits(-6, 6, -1.5, 2.5);
plot.ShowLegend(Alignment.UpperLeft);
var path = Path.GetFullPath(Path.Combine(outDir, "activations.png"));
try
{
    Directory.CreateDirectory(outDir);
    plot.SavePng(path, 800, 500);
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: cannot write {path}: {e.Message}");
    return 1;
}
Console.WriteLine($"plot written to {path}");
return 0;

static float[] Evaluate(ActivationKind kind, float[] values)
{
    using var x = torch.tensor(values);
    using var y = kind switch
    {
        ActivationKind.BinaryStep => Activation.BinaryStep(x),
        ActivationKind.Sigmoid => Activation.Sigmoid(x),
        ActivationKind.Tanh => Activation.Tanh(x),
        _ => Activation.ReLU(x),
    };
    return y.data<float>().ToArray();
}

static string Join(float[] values) => string.Join(", ", values.Select(v => v.ToString("0.0###", CultureInfo.InvariantCulture)));
