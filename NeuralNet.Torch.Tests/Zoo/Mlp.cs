using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.Zoo;

/// <summary>zoo.py's <c>Mlp</c>: Flatten, then Linear(784, 256), ReLU, Linear(256, 128), ReLU, Linear(128, 10).</summary>
public sealed class Mlp : Module<Tensor, Tensor>, ISequentialModule
{
    // Field names are PyTorch's attribute names: they are the state_dict keys.
    private readonly Flatten flatten;
    private readonly Sequential layers;

    public Mlp() : base(TorchRuntime.EnsureInitialized(nameof(Mlp)))
    {
        flatten = Flatten();
        layers = Sequential(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
        RegisterComponents();
    }

    IReadOnlyList<string> ISequentialModule.SequentialChildren => [nameof(flatten), nameof(layers)];

    public override Tensor forward(Tensor x)
    {
        using var flat = flatten.call(x);
        return layers.call(flat);
    }
}
