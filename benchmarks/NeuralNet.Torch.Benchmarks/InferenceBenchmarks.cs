using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.ML.OnnxRuntime;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>
/// The documented model at batch 1, 8, 64 and 4096, every case on the same weights and the same input.
/// Category "forward": logits only; baseline a raw TorchSharp Sequential of the same Flatten/Linear/ReLU modules under
/// no_grad (the library's model is Flatten + Sequential of the same modules).
/// Category "predict": probabilities and classes in managed memory; baseline the raw chain + softmax + argmax + copy out.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class InferenceBenchmarks
{
    private SharedWeights _w = null!;
    private Tensor _x = null!;
    private float[] _pixels = [];
    private float[] _logits = [];
    private float[] _probabilities = [];
    private int[] _classes = [];
    private float[] _hidden1 = [];
    private float[] _hidden2 = [];
    private OrtValue _onnxInput = null!;
    private OrtValue _onnxOutput = null!;
    private readonly string[] _onnxInputNames = ["x"];
    private readonly string[] _onnxOutputNames = ["p"];

    /// <summary>Images per call: 1, 8, 64 and 4096, or the comma-separated list in BENCH_BATCHES (to split a run into
    /// shorter ones that fit a quiet moment of a shared machine).</summary>
    [ParamsSource(nameof(Batches))]
    public int Batch { get; set; }

    public static IEnumerable<int> Batches() =>
        Environment.GetEnvironmentVariable("BENCH_BATCHES") is { Length: > 0 } list
            ? list.Split(',').Select(int.Parse)
            : [1, 8, 64, 4096];

    [GlobalSetup]
    public void Setup()
    {
        _w = new SharedWeights();
        torch.manual_seed(7);
        _x = torch.rand(Batch, 784);
        _pixels = _x.data<float>().ToArray();
        _logits = new float[Batch * 10];
        _probabilities = new float[Batch * 10];
        _classes = new int[Batch];
        _hidden1 = new float[512];
        _hidden2 = new float[512];
        _onnxInput = OrtValue.CreateTensorValueFromMemory(_pixels, [Batch, 784]);
        _onnxOutput = OrtValue.CreateTensorValueFromMemory(_probabilities, [Batch, 10]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _onnxInput.Dispose();
        _onnxOutput.Dispose();
        _x.Dispose();
        _w.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw TorchSharp forward"), BenchmarkCategory("forward")]
    public void RawForward()
    {
        using var noGrad = no_grad();
        using var logits = _w.Raw.forward(_x);
    }

    [Benchmark(Description = "library model.forward"), BenchmarkCategory("forward")]
    public void LibraryForward()
    {
        using var noGrad = no_grad();
        using var logits = _w.Model.forward(_x);
    }

    [Benchmark(Description = "library frozen.Forward (spans)"), BenchmarkCategory("forward")]
    public void PackedForward() => _w.Frozen.Forward(_pixels, _logits);

    [Benchmark(Baseline = true, Description = "raw TorchSharp predict"), BenchmarkCategory("predict")]
    public void RawPredict()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var probabilities = nn.functional.softmax(_w.Raw.forward(_x), 1);
        var classes = probabilities.argmax(1);
        probabilities.data<float>().CopyTo(_probabilities);
        var c = classes.data<long>();
        for (var i = 0; i < _classes.Length; i++)
        {
            _classes[i] = (int)c[i];
        }
    }

    [Benchmark(Description = "library frozen.Predict (auto path)"), BenchmarkCategory("predict")]
    public IReadOnlyList<ClassPrediction> LibraryPredict() => _w.Frozen.Predict(_x);

    [Benchmark(Description = "library model.Predict (auto path, live weights)"), BenchmarkCategory("predict")]
    public IReadOnlyList<ClassPrediction> LibraryPredictTrainable() => _w.Trainable.Predict(_x);

    [Benchmark(Description = "library Predict (libtorch fp32)"), BenchmarkCategory("predict")]
    public IReadOnlyList<ClassPrediction> LibraryPredictLibTorch() => _w.Model.Predict(_x, InferenceOptions.LibTorchOnly);

    [Benchmark(Description = "library frozen.Predict (spans)"), BenchmarkCategory("predict")]
    public void PackedPredict() => _w.Frozen.Predict(_pixels, _probabilities, _classes);

    [Benchmark(Description = "library Predict (bf16 opt-in)"), BenchmarkCategory("predict")]
    public IReadOnlyList<ClassPrediction> LibraryPredictBFloat16() => _w.Model.Predict(_x, SharedWeights.BFloat16);

    [Benchmark(Description = "raw TorchSharp bf16 predict"), BenchmarkCategory("predict")]
    public void RawBFloat16Predict()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = _w.RawBFloat16.forward(_x.to_type(ScalarType.BFloat16)).to_type(ScalarType.Float32);
        var probabilities = nn.functional.softmax(logits, 1);
        var classes = probabilities.argmax(1);
        probabilities.data<float>().CopyTo(_probabilities);
        var c = classes.data<long>();
        for (var i = 0; i < _classes.Length; i++)
        {
            _classes[i] = (int)c[i];
        }
    }

    [Benchmark(Description = "ONNX Runtime fp32 predict"), BenchmarkCategory("predict")]
    public void OnnxPredict()
    {
        _w.Onnx.Run(_onnxInputNames, [_onnxInput], _onnxOutputNames, [_onnxOutput]);
        for (var i = 0; i < _classes.Length; i++)
        {
            _classes[i] = TensorPrimitives.IndexOfMax(_probabilities.AsSpan(i * 10, 10));
        }
    }

    [Benchmark(Description = "managed TensorPrimitives.Dot per row, 1 thread"), BenchmarkCategory("predict")]
    public void ManagedDotPredict()
    {
        var layers = _w.Layers;
        for (var s = 0; s < Batch; s++)
        {
            var x = _pixels.AsSpan(s * 784, 784);
            Dense(layers[0], x, _hidden1, relu: true);
            Dense(layers[1], _hidden1, _hidden2, relu: true);
            var p = _probabilities.AsSpan(s * 10, 10);
            Dense(layers[2], _hidden2, p, _w.FinalRelu);
            TensorPrimitives.SoftMax(p, p);
            _classes[s] = TensorPrimitives.IndexOfMax(p);
        }
    }

    private static void Dense((float[] Weight, float[] Bias, int Out, int In) layer, ReadOnlySpan<float> x, Span<float> y, bool relu)
    {
        for (var r = 0; r < layer.Out; r++)
        {
            var v = TensorPrimitives.Dot(layer.Weight.AsSpan(r * layer.In, layer.In), x) + layer.Bias[r];
            y[r] = relu ? MathF.Max(v, 0) : v;
        }
    }
}
