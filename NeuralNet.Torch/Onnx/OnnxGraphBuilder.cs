using System.Globalization;
using Google.Protobuf;
using NeuralNet.Torch.Activations;
using NeuralNet.Torch.Inspection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Proto = global::Onnx;

namespace NeuralNet.Torch.Onnx;

/// <summary>Turns a module tree into an ONNX graph: walks it into a chain of supported layers (refusing anything
/// else by path and type), tracks the shape through the chain, and emits one node (or a short exact sequence) per
/// layer, with the parameters as initializers named by their state_dict keys.</summary>
internal static class OnnxGraphBuilder
{
    /// <summary>ONNX IR version 8 (2021-07-30): the one that goes with opsets 15 to 17.</summary>
    public const long IrVersion = (long)Proto.Version.IrVersion2021730;

    private const string SupportedText =
        "the exporter knows Flatten, Linear, ReLU, Sigmoid, Tanh, Softmax, BinaryStep and Sequential, and modules that " +
        "implement NeuralNet.Torch.Onnx.IOnnxSequential";

    private static readonly Type[] LeafTypes =
        [typeof(Flatten), typeof(Linear), typeof(ReLU), typeof(Sigmoid), typeof(Tanh), typeof(Softmax), typeof(BinaryStep)];

    /// <summary>Builds the ONNX model of <paramref name="model"/>.</summary>
    /// <exception cref="NotSupportedException">A module, a parameter's element type, or a layer setting cannot be
    /// exported, or an <see cref="IOnnxSequential"/> declaration is false; the message names the module's path and type.</exception>
    /// <exception cref="ArgumentException">The options are invalid, or the input shape does not fit the model.</exception>
    public static (Proto.ModelProto Model, OnnxExportInfo Info) Build(nn.Module<Tensor, Tensor> model, OnnxExportOptions options)
    {
        CheckOptions(options);
        var steps = new List<Step>();
        Collect(model, "", steps);
        CheckElementTypes(model);
        var inputShape = options.InputShape?.ToArray() ?? InferInputShape(steps);
        var emitter = new Emitter(options);
        var outputShape = emitter.Emit(steps, inputShape);
        if (options.VerifySequentialModules)
        {
            SequentialCheck.Run(model, inputShape);
        }

        var proto = new Proto.ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "NeuralNet.Torch",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            Graph = emitter.Graph,
        };
        proto.OpsetImport.Add(new Proto.OperatorSetIdProto { Domain = "", Version = OnnxExport.OpsetVersion });
        emitter.Graph.Name = ModuleText.TypeName(model);
        emitter.Graph.DocString = ModuleText.Repr(model);
        emitter.Graph.Input.Add(ValueInfo(options.InputName, options.BatchDimensionName, inputShape));
        emitter.Graph.Output.Add(ValueInfo(options.OutputName, options.BatchDimensionName, outputShape));
        var info = new OnnxExportInfo(options.InputName, inputShape, options.OutputName, outputShape, OnnxExport.OpsetVersion,
            emitter.Graph.Initializer.Select(i => i.Name).ToList(), emitter.Graph.Node.Select(n => n.OpType).ToList());
        return (proto, info);
    }

    /// <summary>The words naming a module in messages: <c>'linear_relu_stack.3' (TorchSharp.Modules.Dropout)</c>.</summary>
    public static string Describe(string path, nn.Module module) =>
        (path.Length == 0 ? "the model" : $"'{path}'") + $" ({module.GetType().FullName})";

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

    // The chain of layers forward applies, in order; refuses what it cannot vouch for.
    private static void Collect(nn.Module module, string path, List<Step> steps)
    {
        var type = module.GetType();
        if (type == typeof(Sequential))
        {
            foreach (var (name, child) in module.named_children())
            {
                Collect(child, Join(path, name), steps);
            }
            return;
        }
        if (Array.IndexOf(LeafTypes, type) >= 0)
        {
            steps.Add(new Step(path, module));
            return;
        }
        if (module is IOnnxSequential declared)
        {
            foreach (var (name, child) in DeclaredChildren(module, declared, path))
            {
                Collect(child, Join(path, name), steps);
            }
            return;
        }
        var reason = module.named_children().Any()
            ? "its forward is not known to apply its children in order; if it does, implement NeuralNet.Torch.Onnx.IOnnxSequential"
            : SupportedText;
        throw new NotSupportedException($"Cannot export {Describe(path, module)} to ONNX: {reason}.");
    }

    /// <summary>The children of an <see cref="IOnnxSequential"/> module in its declared order, after checking that the
    /// declaration names each child exactly once and that the module has no tensors of its own.</summary>
    public static List<(string Name, nn.Module Module)> DeclaredChildren(nn.Module module, IOnnxSequential declared, string path)
    {
        if (module is not nn.Module<Tensor, Tensor>)
        {
            throw new NotSupportedException(
                $"Cannot export {Describe(path, module)} to ONNX: it declares IOnnxSequential, but its forward does not take and return one tensor.");
        }
        var children = module.named_children().ToList();
        var order = declared.SequentialChildren ?? [];
        var known = children.Select(c => c.name).ToList();
        if (order.Count != known.Count || order.Distinct(StringComparer.Ordinal).Count() != order.Count
            || !order.All(n => known.Contains(n, StringComparer.Ordinal)))
        {
            throw new NotSupportedException(
                $"Cannot export {Describe(path, module)} to ONNX: it declares IOnnxSequential with the children " +
                $"[{string.Join(", ", order)}], but it has [{string.Join(", ", known)}]; name each child exactly once, in the order forward applies them.");
        }
        var own = module.named_parameters(recurse: false).Select(p => p.name)
            .Concat(module.named_buffers(recurse: false).Select(b => b.name)).ToList();
        if (own.Count > 0)
        {
            throw new NotSupportedException(
                $"Cannot export {Describe(path, module)} to ONNX: it declares IOnnxSequential, but holds tensors of its own " +
                $"({string.Join(", ", own)}) that no child uses; only its children's layers are exported.");
        }
        return order.Select(n => children.First(c => c.name == n)).ToList();
    }

    private static void CheckElementTypes(nn.Module model)
    {
        foreach (var (name, tensor) in model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(model.named_buffers()))
        {
            if (tensor.dtype != ScalarType.Float32)
            {
                throw new NotSupportedException(
                    $"Cannot export '{name}' to ONNX: it is {tensor.dtype}; the exporter writes float32 models (convert with model.to(ScalarType.Float32)).");
            }
        }
    }

    private static long[] InferInputShape(List<Step> steps)
    {
        var linear = steps.Select(s => s.Module).OfType<Linear>().FirstOrDefault();
        if (linear is null)
        {
            throw new ArgumentException(
                "The model has no Linear layer to take the input size from: set OnnxExportOptions.InputShape to one sample's shape (e.g. [784]).",
                "options");
        }
        return [linear.in_features];
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

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private sealed record Step(string Path, nn.Module Module);

    /// <summary>Emits the nodes of a chain of steps and tracks one sample's shape through it.</summary>
    private sealed class Emitter
    {
        private readonly OnnxExportOptions _options;
        private readonly HashSet<string> _names = new(StringComparer.Ordinal);

        public Emitter(OnnxExportOptions options)
        {
            _options = options;
            _names.Add(options.InputName);
            _names.Add(options.OutputName);
        }

        public Proto.GraphProto Graph { get; } = new();

        public long[] Emit(List<Step> steps, long[] inputShape)
        {
            var shape = inputShape.ToList();
            var current = _options.InputName;
            if (steps.Count == 0)
            {
                Node("Identity", "Identity", [current], _options.OutputName);
                return [.. shape];
            }
            for (var i = 0; i < steps.Count; i++)
            {
                var (path, module) = steps[i];
                var output = i == steps.Count - 1 ? _options.OutputName : Unique(path.Length == 0 ? module.GetType().Name : path);
                current = module switch
                {
                    Flatten flatten => EmitFlatten(path, flatten, current, output, shape),
                    Linear linear => EmitLinear(path, linear, current, output, shape),
                    ReLU => Node("Relu", NodeName(path, "Relu"), [current], output),
                    Sigmoid => Node("Sigmoid", NodeName(path, "Sigmoid"), [current], output),
                    Tanh => Node("Tanh", NodeName(path, "Tanh"), [current], output),
                    Softmax softmax => EmitSoftmax(path, softmax, current, output, shape),
                    _ => EmitBinaryStep(path, current, output),
                };
            }
            return [.. shape];
        }

        // torch.flatten(x, start_dim, end_dim) keeping the batch dimension: ONNX Flatten(axis=1) for the usual
        // (1, -1); a Reshape to the known per-sample shape (0 copies the batch size) for any other range.
        private string EmitFlatten(string path, Flatten flatten, string input, string output, List<long> shape)
        {
            var rank = shape.Count + 1;
            var start = flatten.start_dim < 0 ? flatten.start_dim + rank : flatten.start_dim;
            var end = flatten.end_dim < 0 ? flatten.end_dim + rank : flatten.end_dim;
            if (start < 0 || end >= rank || start > end)
            {
                throw new ArgumentException(
                    $"Flatten '{path}' (start_dim={flatten.start_dim}, end_dim={flatten.end_dim}) does not fit its input of shape " +
                    $"{ShapeText(shape)}; check OnnxExportOptions.InputShape.", "options");
            }
            if (start == 0)
            {
                throw new NotSupportedException(
                    $"Cannot export {Describe(path, flatten)} to ONNX: start_dim=0 flattens the batch dimension, which the exported graph keeps dynamic.");
            }
            var merged = shape.Skip((int)start - 1).Take((int)(end - start + 1)).Aggregate(1L, (a, b) => a * b);
            var next = shape.Take((int)start - 1).Append(merged).Concat(shape.Skip((int)end)).ToList();
            if (start == 1 && end == rank - 1)
            {
                Node("Flatten", NodeName(path, "Flatten"), [input], output, Int("axis", 1));
            }
            else
            {
                var target = Unique(NodeName(path, "shape"));
                var constant = new Proto.TensorProto { DataType = (int)Proto.TensorProto.Types.DataType.Int64 };
                constant.Dims.Add(next.Count + 1);
                constant.Int64Data.Add(0);
                constant.Int64Data.Add(next);
                Node("Constant", target, [], target, Tensor("value", constant));
                Node("Reshape", NodeName(path, "Reshape"), [input, target], output);
            }
            shape.Clear();
            shape.AddRange(next);
            return output;
        }

        // y = x W^T + b: Gemm(transB=1) for a [batch, in] input, as PyTorch exports it; MatMul with the transposed
        // weight and Add for a higher-rank input (Gemm takes matrices only).
        private string EmitLinear(string path, Linear linear, string input, string output, List<long> shape)
        {
            if (shape.Count == 0 || shape[^1] != linear.in_features)
            {
                throw new ArgumentException(
                    $"Linear '{path}' takes {linear.in_features} features in the last dimension, but its input has shape " +
                    $"{ShapeText(shape)}; set OnnxExportOptions.InputShape to the shape of one sample the model takes.", "options");
            }
            var weight = Initializer(Join(path, "weight"), linear.weight!);
            var bias = linear.bias is null ? null : Initializer(Join(path, "bias"), linear.bias);
            if (shape.Count == 1)
            {
                Node("Gemm", NodeName(path, "Gemm"), bias is null ? [input, weight] : [input, weight, bias], output,
                    Int("transB", 1));
            }
            else
            {
                var transposed = Unique(NodeName(path, "weight_t"));
                Node("Transpose", transposed, [weight], transposed, Ints("perm", 1, 0));
                var product = bias is null ? output : Unique(NodeName(path, "matmul"));
                Node("MatMul", NodeName(path, "MatMul"), [input, transposed], product);
                if (bias is not null)
                {
                    Node("Add", NodeName(path, "Add"), [product, bias], output);
                }
            }
            shape[^1] = linear.out_features;
            return output;
        }

        private string EmitSoftmax(string path, Softmax softmax, string input, string output, List<long> shape)
        {
            var rank = shape.Count + 1;
            if (softmax.dim < -rank || softmax.dim >= rank)
            {
                throw new ArgumentException(
                    $"Softmax '{path}' (dim={softmax.dim}) does not fit its input of shape {ShapeText(shape)}; check OnnxExportOptions.InputShape.",
                    "options");
            }
            // Opset 13+ Softmax normalises along the one axis given, as torch.softmax(x, dim) does.
            return Node("Softmax", NodeName(path, "Softmax"), [input], output, Int("axis", softmax.dim));
        }

        // The document's step, exactly: (x >= 0) as float gives 1 for x >= 0 (-0.0 and +inf too) and 0 for x < 0
        // (-inf too); x >= 0 is false for NaN, so Where(IsNaN(x), x, step) puts NaN back.
        private string EmitBinaryStep(string path, string input, string output)
        {
            var zero = Unique(NodeName(path, "zero"));
            var scalar = new Proto.TensorProto { DataType = (int)Proto.TensorProto.Types.DataType.Float };
            scalar.FloatData.Add(0f);
            Node("Constant", zero, [], zero, Tensor("value", scalar));
            var atLeastZero = Unique(NodeName(path, "at_least_zero"));
            Node("GreaterOrEqual", atLeastZero, [input, zero], atLeastZero);
            var step = Unique(NodeName(path, "step"));
            Node("Cast", step, [atLeastZero], step, Int("to", (long)Proto.TensorProto.Types.DataType.Float));
            var isNaN = Unique(NodeName(path, "is_nan"));
            Node("IsNaN", isNaN, [input], isNaN);
            return Node("Where", NodeName(path, "Where"), [isNaN, input, step], output);
        }

        private string Initializer(string name, Tensor value)
        {
            if (!_names.Add(name))
            {
                throw new ArgumentException($"The name '{name}' is used twice in the graph (a parameter's key and an input or output name).", "options");
            }
            using var scope = NewDisposeScope();
            var cpu = value.detach().cpu().contiguous();
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("ONNX stores raw tensor data little-endian; this host is big-endian.");
            }
            var proto = new Proto.TensorProto
            {
                Name = name,
                DataType = (int)Proto.TensorProto.Types.DataType.Float,
                RawData = ByteString.CopyFrom(cpu.bytes),
            };
            proto.Dims.Add(cpu.shape);
            Graph.Initializer.Add(proto);
            return name;
        }

        private string Node(string op, string name, string[] inputs, string output, params Proto.AttributeProto[] attributes)
        {
            var node = new Proto.NodeProto { OpType = op, Name = name };
            node.Input.Add(inputs);
            node.Output.Add(output);
            node.Attribute.Add(attributes);
            Graph.Node.Add(node);
            return output;
        }

        private string Unique(string name)
        {
            var candidate = name;
            for (var i = 1; !_names.Add(candidate); i++)
            {
                candidate = $"{name}_{i.ToString(CultureInfo.InvariantCulture)}";
            }
            return candidate;
        }

        private static string NodeName(string path, string what) => path.Length == 0 ? what : $"{path}/{what}";

        private static string ShapeText(List<long> shape) => "[batch" + string.Concat(shape.Select(d => ", " + d)) + "]";

        private static Proto.AttributeProto Int(string name, long value) =>
            new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Int, I = value };

        private static Proto.AttributeProto Ints(string name, params long[] values)
        {
            var attribute = new Proto.AttributeProto { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Ints };
            attribute.Ints.Add(values);
            return attribute;
        }

        private static Proto.AttributeProto Tensor(string name, Proto.TensorProto value) =>
            new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Tensor, T = value };
    }
}
