using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>ONNX Runtime on the same weights: a Gemm(transB=1) + Relu graph built in C# with OnnxSharp's ONNX protobuf
/// classes, run with two intra-op threads on preallocated input and output buffers.</summary>
internal sealed class OnnxMlp : IDisposable
{
    private const int Float = 1; // TensorProto.DataType.FLOAT
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();

    public OnnxMlp(byte[] model)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = Environment.ProcessorCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, options);
    }

    /// <summary>The MLP as ONNX: Gemm + Relu per Linear (+ Relu at the end for the documented variant), then Softmax.</summary>
    public static byte[] BuildMlp(IReadOnlyList<(float[] Weight, float[] Bias, int Out, int In)> layers, bool finalRelu)
    {
        var graph = new GraphProto { Name = "mlp" };
        graph.Input.Add(Value("x", "N", layers[0].In));
        var current = "x";
        for (var i = 0; i < layers.Count; i++)
        {
            var (weight, bias, outFeatures, inFeatures) = layers[i];
            graph.Initializer.Add(Tensor($"w{i}", weight, outFeatures, inFeatures));
            graph.Initializer.Add(Tensor($"b{i}", bias, outFeatures));
            var gemm = new NodeProto { OpType = "Gemm", Name = $"gemm{i}" };
            gemm.Input.Add(current);
            gemm.Input.Add($"w{i}");
            gemm.Input.Add($"b{i}");
            gemm.Output.Add($"g{i}");
            gemm.Attribute.Add(new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
            graph.Node.Add(gemm);
            current = $"g{i}";
            if (i < layers.Count - 1 || finalRelu)
            {
                var relu = new NodeProto { OpType = "Relu", Name = $"relu{i}" };
                relu.Input.Add(current);
                relu.Output.Add($"r{i}");
                graph.Node.Add(relu);
                current = $"r{i}";
            }
        }
        var softmax = new NodeProto { OpType = "Softmax", Name = "softmax" };
        softmax.Input.Add(current);
        softmax.Output.Add("p");
        softmax.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        graph.Node.Add(softmax);
        graph.Output.Add(Value("p", "N", layers[^1].Out));
        return Model(graph);
    }

    /// <summary>C = A x B for two square inputs of size <paramref name="n"/>.</summary>
    public static byte[] BuildMatMul(int n)
    {
        var graph = new GraphProto { Name = "matmul" };
        graph.Input.Add(Value("a", null, n, n));
        graph.Input.Add(Value("b", null, n, n));
        var node = new NodeProto { OpType = "MatMul", Name = "matmul" };
        node.Input.Add("a");
        node.Input.Add("b");
        node.Output.Add("c");
        graph.Node.Add(node);
        graph.Output.Add(Value("c", null, n, n));
        return Model(graph);
    }

    /// <summary>Runs the graph on preallocated buffers (inputs by name, outputs by name).</summary>
    public void Run(string[] inputNames, OrtValue[] inputs, string[] outputNames, OrtValue[] outputs) =>
        _session.Run(_run, inputNames, inputs, outputNames, outputs);

    public void Dispose()
    {
        _session.Dispose();
        _run.Dispose();
    }

    private static byte[] Model(GraphProto graph)
    {
        var model = new ModelProto { IrVersion = 8, ProducerName = "NeuralNet.Torch.Benchmarks", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        return model.ToByteArray();
    }

    private static TensorProto Tensor(string name, float[] values, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(dims);
        return tensor;
    }

    private static ValueInfoProto Value(string name, string? batchName, params long[] dims)
    {
        var shape = new TensorShapeProto();
        if (batchName is not null)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batchName });
        }
        foreach (var d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = Float, Shape = shape } },
        };
    }
}
