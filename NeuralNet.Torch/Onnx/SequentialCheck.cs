using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Onnx;

/// <summary>Checks that every chain the exporter walked is its module's forward: each <see cref="ISequentialModule"/>'s
/// own <c>forward</c> must give what applying its children in the declared order gives, and each undeclared module's
/// what applying them in registration order gives, on a random (probe) batch.</summary>
internal static class SequentialCheck
{
    private const ulong Seed = 20170601;

    /// <summary>Runs the check on a random normal batch of two samples of <paramref name="sampleShape"/>, in eval mode
    /// and without autograd; restores every module's train/eval mode and disposes every tensor it made. The global
    /// random generator is not touched. Undeclared chains are always confirmed (nothing else vouches for them);
    /// declarations only when <paramref name="verifyDeclared"/>. Runs no forward when there is nothing to check.</summary>
    /// <exception cref="NotSupportedException">A module's forward differs from its chain of children.</exception>
    public static void Run(nn.Module<Tensor, Tensor> model, long[] sampleShape, bool verifyDeclared)
    {
        if (!verifyDeclared && !ExportChain.HasUndeclared(model))
        {
            return;
        }
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
            Replay(model, "", input, verifyDeclared);
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

    private static Tensor Replay(nn.Module module, string path, Tensor input, bool verifyDeclared)
    {
        if (module.GetType() == typeof(Sequential))
        {
            return Chain(module.named_children(), path, input, verifyDeclared);
        }
        if (module is ISequentialModule declared)
        {
            // Well-formed: ExportChain.Flatten walked the same tree before.
            var children = ModuleChain.DeclaredChildren(module, declared)!;
            var chained = Chain(children, path, input, verifyDeclared);
            if (verifyDeclared && Difference(((nn.Module<Tensor, Tensor>)module).forward(input), chained) is { } difference)
            {
                throw new NotSupportedException(
                    $"Cannot export {ModuleChain.Describe(path, module)} to ONNX: it declares ISequentialModule with the children " +
                    $"[{string.Join(", ", children.Select(c => c.Name))}], but on a random batch its forward differs from applying " +
                    $"them in that order ({difference}); {ExportChain.Alternatives}.");
            }
            return chained;
        }
        if (ExportChain.IsUndeclared(module))
        {
            // Tensor to tensor: ExportChain.Flatten took it as a candidate chain.
            var children = module.named_children().ToList();
            var own = ((nn.Module<Tensor, Tensor>)module).forward(input);
            string? difference;
            Tensor? chained = null;
            try
            {
                chained = Chain(children, path, input, verifyDeclared);
                difference = Difference(own, chained);
            }
            catch (Exception e) when (e is not NotSupportedException)
            {
                // Children that do not compose in this order (a concatenation's branches, say) are not its chain either.
                difference = "applying them in that order fails: " + e.Message.Split('\n')[0].Trim();
            }
            if (difference is not null)
            {
                throw new NotSupportedException(
                    $"Cannot export {ModuleChain.Describe(path, module)} to ONNX: its forward is not the chain of its children " +
                    $"[{string.Join(", ", children.Select(c => c.name))}]: on a random batch it differs from applying them in " +
                    $"registration order ({difference}); {ExportChain.GraphShaped}.");
            }
            return chained!;
        }
        return ((nn.Module<Tensor, Tensor>)module).forward(input);
    }

    private static Tensor Chain(IEnumerable<(string Name, nn.Module Module)> children, string path, Tensor input, bool verifyDeclared) =>
        children.Aggregate(input, (x, child) => Replay(child.Module, ModuleChain.Join(path, child.Name), x, verifyDeclared));

    // Null when equal. The same kernels run on the same batch either way, but a forward may fuse or reorder them
    // (an in-place add, call against forward), so float32 rounding is allowed; what a chain misses (a residual add,
    // a skipped or reordered layer) moves outputs by the activations' own scale, orders of magnitude above it.
    private static string? Difference(Tensor own, Tensor chained)
    {
        if (!own.shape.SequenceEqual(chained.shape))
        {
            return $"shape {ShapeText.Of(own.shape)} against {ShapeText.Of(chained.shape)}";
        }
        return own.allclose(chained, rtol: 1e-5, atol: 1e-6, equal_nan: true)
            ? null
            : "largest difference " + (own - chained).abs().nan_to_num(0).max().item<float>().ToString("G6", CultureInfo.InvariantCulture);
    }
}
