using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Onnx;

/// <summary>Checks <see cref="ISequentialModule"/> declarations: each declaring module's own <c>forward</c> must give
/// what applying its children in the declared order gives, on a random batch.</summary>
internal static class SequentialCheck
{
    private const ulong Seed = 20170601;

    /// <summary>Runs the check on a random normal batch of two samples of <paramref name="sampleShape"/>, in eval mode
    /// and without autograd; restores every module's train/eval mode and disposes every tensor it made. The global
    /// random generator is not touched.</summary>
    /// <exception cref="NotSupportedException">A declaring module's forward differs from its chain of children.</exception>
    public static void Run(nn.Module<Tensor, Tensor> model, long[] sampleShape)
    {
        var modes = new List<(nn.Module Module, bool Training)>();
        Record(model, modes);
        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(Seed, CPU);
        try
        {
            model.eval();
            var input = randn([2, .. sampleShape], ScalarType.Float32, CPU, generator: generator).to(device);
            Replay(model, "", input);
        }
        finally
        {
            foreach (var (module, training) in modes)
            {
                module.train(training);
            }
        }
    }

    // Parents before children, so restoring in this order leaves each module with its own mode.
    private static void Record(nn.Module module, List<(nn.Module, bool)> modes)
    {
        modes.Add((module, module.training));
        foreach (var (_, child) in module.named_children())
        {
            Record(child, modes);
        }
    }

    private static Tensor Replay(nn.Module module, string path, Tensor input)
    {
        if (module.GetType() == typeof(Sequential))
        {
            return module.named_children().Aggregate(input, (x, child) => Replay(child.module, ModuleChain.Join(path, child.name), x));
        }
        if (module is ISequentialModule declared)
        {
            // Well-formed: ExportChain.Flatten walked the same tree before.
            var children = ModuleChain.DeclaredChildren(module, declared)!;
            var chained = children.Aggregate(input, (x, child) => Replay(child.Module, ModuleChain.Join(path, child.Name), x));
            var own = ((nn.Module<Tensor, Tensor>)module).forward(input);
            if (!own.shape.SequenceEqual(chained.shape) || !own.allclose(chained, rtol: 1e-5, atol: 1e-6, equal_nan: true))
            {
                var difference = own.shape.SequenceEqual(chained.shape)
                    ? "largest difference " + (own - chained).abs().nan_to_num(0).max().item<float>().ToString("G6", CultureInfo.InvariantCulture)
                    : $"shape {ShapeText.Of(own.shape)} against {ShapeText.Of(chained.shape)}";
                throw new NotSupportedException(
                    $"Cannot export {ModuleChain.Describe(path, module)} to ONNX: it declares ISequentialModule with the children " +
                    $"[{string.Join(", ", children.Select(c => c.Name))}], but on a random batch its forward differs from applying " +
                    $"them in that order ({difference}); {ExportChain.Alternatives}.");
            }
            return chained;
        }
        return ((nn.Module<Tensor, Tensor>)module).forward(input);
    }
}
