using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Onnx.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Proto = global::Onnx;

namespace NeuralNet.Torch.Onnx;

/// <summary>Turns a module tree into an ONNX graph: flattens it into its chain of leaf layers
/// (<see cref="ExportChain"/>), maps each through the layer table (<see cref="LayerTable"/>, one class per family),
/// tracking one sample's shape through the chain, and checks <see cref="ISequentialModule"/> declarations and
/// undeclared chains against forward (<see cref="SequentialCheck"/>). Everything is built in memory; nothing is written until it all succeeded.</summary>
internal static class OnnxGraphBuilder
{
    /// <summary>ONNX IR version 8 (2021-07-30): the one that goes with opsets 15 to 17.</summary>
    public const long IrVersion = (long)Proto.Version.IrVersion2021730;

    /// <summary>Builds the ONNX model of <paramref name="model"/>.</summary>
    /// <exception cref="NotSupportedException">A module, a parameter's element type, or a layer setting cannot be
    /// exported, an <see cref="ISequentialModule"/> declaration is false, or an undeclared module's forward is not the chain
    /// of its children; the message names the module's path and type.</exception>
    /// <exception cref="ArgumentException">The options are invalid, or the input shape does not fit the model.</exception>
    public static (Proto.ModelProto Model, OnnxExportInfo Info) Build(nn.Module<Tensor, Tensor> model, OnnxExportOptions options)
    {
        CheckOptions(options);
        var chain = ExportChain.Flatten(model);
        var mappings = chain.Select(Mapping).ToList();
        CheckElementTypes(model);
        var inputShape = options.InputShape?.ToArray() ?? InferInputShape(chain);

        var graph = new GraphWriter(options.InputName, options.OutputName);
        var shape = inputShape.ToList();
        var current = options.InputName;
        try
        {
            for (var i = 0; i < chain.Count; i++)
            {
                current = mappings[i].Map(new LayerContext(chain[i], graph, current, shape));
            }
        }
        catch (ArgumentException) when (ExportChain.HasUndeclared(model))
        {
            // A candidate chain whose children do not compose (a concatenation's branches) is refused as not its
            // module's forward; when the probe finds nothing wrong (it cannot run on this shape, or the chain is its
            // forward), the shape's own error stands.
            ProbeOrKeep(model, inputShape, options.VerifySequentialModules);
            throw;
        }
        if (current == options.InputName)
        {
            graph.Node("Identity", ModuleText.TypeName(model), [current]);
            current = graph.Graph.Node[^1].Output[0];
        }
        graph.Rename(current, options.OutputName);
        SequentialCheck.Run(model, inputShape, options.VerifySequentialModules);

        var proto = new Proto.ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "NeuralNet.Torch",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            Graph = graph.Graph,
        };
        proto.OpsetImport.Add(new Proto.OperatorSetIdProto { Domain = "", Version = OnnxExport.OpsetVersion });
        graph.Graph.Name = ModuleText.TypeName(model);
        graph.Graph.DocString = ModuleText.Repr(model);
        graph.Graph.Input.Add(ValueInfo(options.InputName, options.BatchDimensionName, inputShape));
        graph.Graph.Output.Add(ValueInfo(options.OutputName, options.BatchDimensionName, shape));
        var info = new OnnxExportInfo(options.InputName, inputShape, options.OutputName, [.. shape], OnnxExport.OpsetVersion,
            graph.Graph.Initializer.Select(i => i.Name).ToList(), graph.Graph.Node.Select(n => n.OpType).ToList());
        return (proto, info);
    }

    private static void ProbeOrKeep(nn.Module<Tensor, Tensor> model, long[] inputShape, bool verifyDeclared)
    {
        try
        {
            SequentialCheck.Run(model, inputShape, verifyDeclared);
        }
        catch (Exception e) when (e is not NotSupportedException)
        {
            // The forward itself does not take this shape: the shape's error says more.
        }
    }

    private static LayerMapping Mapping(ChainLink link) =>
        LayerTable.Find(link.Module.GetType()) ?? throw new NotSupportedException(
            $"Cannot export {ModuleChain.Describe(link.Path, link.Module)} to ONNX: the exporter knows {LayerTable.KnownTypes}, " +
            "nested in Sequential and in modules that implement NeuralNet.Torch.ISequentialModule; for anything else, " +
            "export the model from PyTorch with torch.onnx.export, or serve it as TorchScript.");

    private static void CheckOptions(OnnxExportOptions options)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.InputName))
        {
            problems.Add("InputName must not be empty.");
        }
        if (string.IsNullOrWhiteSpace(options.OutputName))
        {
            problems.Add("OutputName must not be empty.");
        }
        if (string.Equals(options.InputName, options.OutputName, StringComparison.Ordinal))
        {
            problems.Add($"InputName and OutputName must differ; both are '{options.InputName}'.");
        }
        if (string.IsNullOrWhiteSpace(options.BatchDimensionName))
        {
            problems.Add("BatchDimensionName must not be empty.");
        }
        if (options.InputShape is { } shape && (shape.Count == 0 || shape.Any(d => d < 1)))
        {
            problems.Add($"InputShape must list one sample's dimensions, each at least 1; found [{string.Join(", ", shape)}].");
        }
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid ONNX export options: " + string.Join(" ", problems), nameof(options));
        }
    }

    private static void CheckElementTypes(nn.Module model)
    {
        foreach (var (name, tensor) in model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(model.named_buffers()))
        {
            // num_batches_tracked is an int64 counter that the inference graph never reads.
            if (tensor.dtype != ScalarType.Float32 && !(name.EndsWith("num_batches_tracked", StringComparison.Ordinal) && tensor.dtype == ScalarType.Int64))
            {
                throw new NotSupportedException(
                    $"Cannot export '{name}' to ONNX: it is {tensor.dtype}; the exporter writes float32 models (convert with model.to(ScalarType.Float32)).");
            }
        }
    }

    // Only a chain that starts with a Linear (after any Flatten, which leaves a [batch, n] input as it is) says what
    // it takes: one vector of in_features. Any other first layer takes many shapes, so the caller must say which.
    private static long[] InferInputShape(IReadOnlyList<ChainLink> chain)
    {
        var first = chain.SkipWhile(l => l.Module is Flatten).FirstOrDefault();
        if (first.Module is Linear linear)
        {
            return [linear.in_features];
        }
        var what = first.Module is not null
            ? $"The model's first layer {ModuleChain.Describe(first.Path, first.Module)} is not a Linear"
            : chain.Count == 0 ? "The model has no layers" : "The model has no layer but Flatten";
        throw new ArgumentException(
            $"{what}, so the input shape cannot be taken from it: set OnnxExportOptions.InputShape to one sample's shape " +
            "without the batch dimension (e.g. [1, 28, 28] for a CNN on MNIST images).", "options");
    }

    private static Proto.ValueInfoProto ValueInfo(string name, string batch, IReadOnlyList<long> sample)
    {
        var shape = new Proto.TensorShapeProto();
        shape.Dim.Add(new Proto.TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in sample)
        {
            shape.Dim.Add(new Proto.TensorShapeProto.Types.Dimension { DimValue = d });
        }
        return new Proto.ValueInfoProto
        {
            Name = name,
            Type = new Proto.TypeProto
            {
                TensorType = new Proto.TypeProto.Types.Tensor { ElemType = (int)Proto.TensorProto.Types.DataType.Float, Shape = shape },
            },
        };
    }
}
