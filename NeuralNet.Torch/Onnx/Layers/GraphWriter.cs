using System.Globalization;
using Google.Protobuf;
using static TorchSharp.torch;
using Proto = global::Onnx;

namespace NeuralNet.Torch.Onnx.Layers;

/// <summary>Appends nodes, initializers and constants to an ONNX graph, every value under a unique name.</summary>
internal sealed class GraphWriter
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <param name="reserved">Names already taken (the graph's input and output).</param>
    public GraphWriter(params string[] reserved)
    {
        foreach (var name in reserved)
        {
            _names.Add(name);
        }
    }

    public Proto.GraphProto Graph { get; } = new();

    /// <summary>Appends a node with one output, named <c>{prefix}/{op}</c> (made unique), which is returned; the node
    /// has the same name.</summary>
    public string Node(string op, string prefix, IReadOnlyList<string> inputs, params Proto.AttributeProto[] attributes)
    {
        var output = Unique($"{prefix}/{op}");
        var node = new Proto.NodeProto { OpType = op, Name = output };
        node.Input.Add(inputs);
        node.Output.Add(output);
        node.Attribute.Add(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>A float32 initializer named <paramref name="key"/> (a state_dict key) holding a copy of
    /// <paramref name="value"/>'s data, read from any device.</summary>
    /// <exception cref="ArgumentException">The name is taken (a key equal to the input or output name).</exception>
    public string Initializer(string key, Tensor value)
    {
        if (!_names.Add(key))
        {
            throw new ArgumentException($"The name '{key}' is used twice in the graph (a parameter's key and an input or output name).", "options");
        }
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX stores raw tensor data little-endian; this host is big-endian.");
        }
        using var scope = NewDisposeScope();
        var cpu = value.detach().cpu().contiguous();
        var proto = new Proto.TensorProto
        {
            Name = key,
            DataType = (int)Proto.TensorProto.Types.DataType.Float,
            RawData = ByteString.CopyFrom(cpu.bytes),
        };
        proto.Dims.Add(cpu.shape);
        Graph.Initializer.Add(proto);
        return key;
    }

    /// <summary>A <c>Constant</c> node holding float32 <paramref name="values"/> of shape <paramref name="dims"/>
    /// (empty: a scalar).</summary>
    public string Floats(string prefix, long[] dims, params float[] values)
    {
        var tensor = new Proto.TensorProto { DataType = (int)Proto.TensorProto.Types.DataType.Float };
        tensor.Dims.Add(dims);
        tensor.FloatData.Add(values);
        return Node("Constant", prefix, [], TensorAttribute("value", tensor));
    }

    /// <summary>A <c>Constant</c> node holding the int64 vector <paramref name="values"/>.</summary>
    public string Int64s(string prefix, params long[] values)
    {
        var tensor = new Proto.TensorProto { DataType = (int)Proto.TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.Add(values);
        return Node("Constant", prefix, [], TensorAttribute("value", tensor));
    }

    /// <summary>Renames the value <paramref name="from"/>, the output of the last node that writes it, to
    /// <paramref name="to"/> everywhere (the graph's final value becomes the graph output).</summary>
    public void Rename(string from, string to)
    {
        foreach (var node in Graph.Node)
        {
            for (var i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i] == from)
                {
                    node.Output[i] = to;
                }
            }
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == from)
                {
                    node.Input[i] = to;
                }
            }
        }
    }

    public static Proto.AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Int, I = value };

    public static Proto.AttributeProto Float(string name, double value) =>
        new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Float, F = (float)value };

    public static Proto.AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new Proto.AttributeProto { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.Add(values);
        return attribute;
    }

    private static Proto.AttributeProto TensorAttribute(string name, Proto.TensorProto value) =>
        new() { Name = name, Type = Proto.AttributeProto.Types.AttributeType.Tensor, T = value };

    private string Unique(string name)
    {
        var candidate = name;
        for (var i = 1; !_names.Add(candidate); i++)
        {
            candidate = $"{name}_{i.ToString(CultureInfo.InvariantCulture)}";
        }
        return candidate;
    }
}
