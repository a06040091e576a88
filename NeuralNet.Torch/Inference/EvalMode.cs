using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>Puts a module and every submodule in eval mode for a forward pass and gives each its own train/eval mode
/// back on <see cref="Dispose"/> (a model in eval mode may hold a submodule left in training mode, and the other way
/// round).</summary>
internal readonly struct EvalMode : IDisposable
{
    private readonly List<(nn.Module Module, bool Training)>? _modes;

    private EvalMode(List<(nn.Module, bool)> modes) => _modes = modes;

    /// <summary>Records every module's mode and, when any is in training mode, calls <c>eval()</c>.</summary>
    public static EvalMode Enter(nn.Module model)
    {
        var modes = new List<(nn.Module, bool)>();
        var training = Record(model, modes);
        if (!training)
        {
            return default;
        }
        model.eval();
        return new EvalMode(modes);
    }

    /// <summary>Restores the recorded modes, parents before children (each <c>train(bool)</c> also sets the children,
    /// which then get their own mode back).</summary>
    public void Dispose()
    {
        if (_modes is null)
        {
            return;
        }
        foreach (var (module, training) in _modes)
        {
            module.train(training);
        }
    }

    private static bool Record(nn.Module module, List<(nn.Module, bool)> modes)
    {
        var training = module.training;
        modes.Add((module, training));
        foreach (var (_, child) in module.named_children())
        {
            training |= Record(child, modes);
        }
        return training;
    }
}
