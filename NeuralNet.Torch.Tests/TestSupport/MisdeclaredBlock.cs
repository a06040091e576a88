using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NeuralNet.Torch.Tests.TestSupport;

#pragma warning disable IDE1006, SA1300 // naming: these names ARE the modules' keys

/// <summary>A block whose <see cref="ISequentialModule"/> declaration names one child twice and leaves the other out.</summary>
internal sealed class MisdeclaredBlock : Module<Tensor, Tensor>, ISequentialModule
{
    private readonly Linear fc;
    private readonly ReLU act;

    public MisdeclaredBlock(long features)
        : base(nameof(MisdeclaredBlock))
    {
        fc = Linear(features, features);
        act = ReLU();
        RegisterComponents();
    }

    public IReadOnlyList<string> SequentialChildren => [nameof(fc), nameof(fc)];

    public override Tensor forward(Tensor x)
    {
        using var hidden = fc.forward(x);
        return act.forward(hidden);
    }
}
