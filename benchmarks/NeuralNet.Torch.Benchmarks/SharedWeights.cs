using NeuralNet.Torch.Inference;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>One set of weights for every case of a run: the library's model (seed 42, documented variant), its frozen
/// copy and, built from the same values, the raw TorchSharp chain, the bf16 chain, the ONNX graph and the managed
/// baseline's arrays.</summary>
internal sealed class SharedWeights : IDisposable
{
    public SharedWeights(NeuralNetworkVariant variant = NeuralNetworkVariant.Documented)
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.manual_seed(42);
        Model = new NeuralNetwork(variant);
        // A second model with the same values, left trainable (requires_grad on); both it and Model are read live by
        // model.Predict. Frozen is Model's frozen copy, what the Predictor serves.
        Trainable = new NeuralNetwork(variant);
        using (no_grad())
        {
            foreach (var (target, source) in Trainable.parameters().Zip(Model.parameters()))
            {
                target.copy_(source);
            }
        }
        Trainable.eval();
        Model.eval();
        foreach (var parameter in Model.parameters())
        {
            parameter.requires_grad = false;
        }
        Frozen = Model.Freeze();
        Layers = LayersOf(Model);
        FinalRelu = variant == NeuralNetworkVariant.Documented;

        // The raw chains: TorchSharp's own modules, nothing of this library, holding copies of the same values.
        Raw = BuildCopy(Layers, FinalRelu);
        Raw.eval();
        RawBFloat16 = BuildCopy(Layers, FinalRelu);
        RawBFloat16.to(ScalarType.BFloat16);
        RawBFloat16.eval();
        Onnx = new OnnxMlp(OnnxMlp.BuildMlp(Layers, FinalRelu));
    }

    public NeuralNetwork Model { get; }

    public NeuralNetwork Trainable { get; }

    public FrozenModel Frozen { get; }

    public (float[] Weight, float[] Bias, int Out, int In)[] Layers { get; }

    public bool FinalRelu { get; }

    public Sequential Raw { get; }

    public Sequential RawBFloat16 { get; }

    public OnnxMlp Onnx { get; }

    public static InferenceOptions BFloat16 { get; } = new() { Precision = InferencePrecision.BFloat16 };

    /// <summary>Copies of the Linear layers' weights and biases of <paramref name="model"/>, in order.</summary>
    public static (float[] Weight, float[] Bias, int Out, int In)[] LayersOf(nn.Module model) =>
        model.named_modules().Select(m => m.module).OfType<Linear>().Select(l => (
            l.weight.data<float>().ToArray(),
            l.bias!.data<float>().ToArray(),
            (int)l.weight.size(0),
            (int)l.weight.size(1))).ToArray();

    public void Dispose()
    {
        Frozen.Dispose();
        Model.Dispose();
        Trainable.Dispose();
        Raw.Dispose();
        RawBFloat16.Dispose();
        Onnx.Dispose();
    }

    /// <summary>A plain TorchSharp Sequential <c>Flatten, Linear, ReLU, ..., Linear[, ReLU]</c> holding copies of
    /// <paramref name="layers"/>.</summary>
    public static Sequential BuildCopy((float[] Weight, float[] Bias, int Out, int In)[] layers, bool finalRelu)
    {
        var modules = new List<nn.Module<Tensor, Tensor>> { nn.Flatten() };
        foreach (var (weight, bias, outFeatures, inFeatures) in layers)
        {
            var linear = nn.Linear(inFeatures, outFeatures);
            using (no_grad())
            {
                linear.weight.copy_(torch.tensor(weight, [outFeatures, inFeatures]));
                linear.bias!.copy_(torch.tensor(bias, [outFeatures]));
            }
            modules.Add(linear);
            modules.Add(nn.ReLU());
        }
        if (!finalRelu)
        {
            modules.RemoveAt(modules.Count - 1);
        }
        return nn.Sequential(modules);
    }
}
