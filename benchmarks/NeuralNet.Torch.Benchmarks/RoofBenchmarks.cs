using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>The machine's fp32 GEMM roofs: one 2048 x 2048 x 2048 matmul (17.2 GFLOP) through libtorch (MKL) and
/// through ONNX Runtime (MLAS), on the same values. GFLOP/s = 17.18 / mean seconds.</summary>
public class RoofBenchmarks
{
    private const int N = 2048;
    private Tensor _a = null!;
    private Tensor _b = null!;
    private OnnxMlp _onnx = null!;
    private OrtValue[] _inputs = [];
    private OrtValue[] _outputs = [];
    private readonly string[] _inputNames = ["a", "b"];
    private readonly string[] _outputNames = ["c"];

    [GlobalSetup]
    public void Setup()
    {
        torch.InitializeDeviceType(DeviceType.CPU);
        torch.manual_seed(1);
        _a = torch.rand(N, N);
        _b = torch.rand(N, N);
        _onnx = new OnnxMlp(OnnxMlp.BuildMatMul(N));
        _inputs = [OrtValue.CreateTensorValueFromMemory(_a.data<float>().ToArray(), [N, N]),
                   OrtValue.CreateTensorValueFromMemory(_b.data<float>().ToArray(), [N, N])];
        _outputs = [OrtValue.CreateTensorValueFromMemory(new float[N * N], [N, N])];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var v in _inputs.Concat(_outputs))
        {
            v.Dispose();
        }
        _onnx.Dispose();
        _a.Dispose();
        _b.Dispose();
    }

    [Benchmark(Baseline = true, Description = "libtorch fp32 matmul 2048")]
    public void LibTorchMatMul()
    {
        using var c = _a.matmul(_b);
    }

    [Benchmark(Description = "ONNX Runtime fp32 matmul 2048")]
    public void OnnxMatMul() => _onnx.Run(_inputNames, _inputs, _outputNames, _outputs);

    [Benchmark(Description = "libtorch bf16 matmul 2048")]
    public void LibTorchBFloat16MatMul()
    {
        using var scope = NewDisposeScope();
        _ = _a.to_type(ScalarType.BFloat16).matmul(_b.to_type(ScalarType.BFloat16));
    }
}
