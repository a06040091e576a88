using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary><c>torch/nn/modules/container.py</c>: Sequential, ModuleList, ModuleDict, ParameterList and
/// ParameterDict. The lists and dicts print their own items (in order), which are their children once a parent
/// has registered them; printing never registers them.</summary>
/// <remarks>ModuleList follows PyTorch 2.x, which prints a run of children with the same text once, as
/// <c>(0-2): 3 x Linear(...)</c> (PyTorch 1.13 printed each); ParameterList/ParameterDict print a CUDA parameter's
/// device as 2.x does, <c> (cuda:0)</c> (1.13: <c> (GPU 0)</c>).</remarks>
internal static class ContainerText
{
    public static void AddTo(LayerTextTable table)
    {
        table.AddNoSettings(
            typeof(Sequential), typeof(Sequential<,>), typeof(Sequential<,,>), typeof(Sequential<,,,>), typeof(Sequential<,,,,>),
            typeof(Sequential<,,,,,>), typeof(Sequential<,,,,,,>));
        table.Add(typeof(ModuleList<>), new LayerText { ExtraRepr = _ => "", ChildLines = ModuleListLines });
        table.Add(typeof(ModuleDict<>), new LayerText { ExtraRepr = _ => "", ChildLines = ModuleDictLines });
        table.Add<ParameterList>(m => ParameterLines(m.Select((p, i) => (Key(i), p)), DTypeName));
        // Its own GetEnumerator: the interface enumerators are unordered or not implemented.
        table.Add<ParameterDict>(m => ParameterLines(Items(m.GetEnumerator()), TypeName));
    }

    /// <summary>PyTorch 2.x <c>ModuleList.__repr__</c>: consecutive children with equal text collapse into one line.</summary>
    private static IReadOnlyList<string> ModuleListLines(nn.Module list, Func<string, nn.Module, string> repr)
    {
        var texts = ((System.Collections.IEnumerable)list).Cast<nn.Module>().Select((m, i) => repr(Key(i), m)).ToList();
        var lines = new List<string>();
        for (var start = 0; start < texts.Count;)
        {
            var end = start;
            while (end + 1 < texts.Count && texts[end + 1] == texts[start])
            {
                end++;
            }
            lines.Add(ModuleText.AddIndent(
                start == end ? $"({start}): {texts[start]}" : $"({start}-{end}): {end - start + 1} x {texts[start]}", 2));
            start = end + 1;
        }
        return lines;
    }

    private static IReadOnlyList<string> ModuleDictLines(nn.Module dict, Func<string, nn.Module, string> repr) =>
        DictItems(dict).Select(kv => $"({kv.Key}): {ModuleText.AddIndent(repr(kv.Key, kv.Value), 2)}").ToList();

    /// <summary>A ModuleDict's (key, module) pairs in insertion order, from its <c>items()</c> (its non-generic
    /// enumerator yields the unordered dictionary instead).</summary>
    private static IEnumerable<(string Key, nn.Module Value)> DictItems(nn.Module dict)
    {
        var items = dict.GetType().GetMethod("items", Type.EmptyTypes)?.Invoke(dict, null) as System.Collections.IEnumerator
            ?? throw new NotSupportedException("it has no items() enumerator in this TorchSharp version.");
        while (items.MoveNext())
        {
            if (items.Current is not ITuple { Length: 2 } pair || pair[0] is not string key || pair[1] is not nn.Module module)
            {
                throw new NotSupportedException($"its items are {items.Current?.GetType().Name}, not (string, Module) pairs.");
            }
            yield return (key, module);
        }
    }

    private static string ParameterLines(IEnumerable<(string Key, Parameter Value)> items, Func<Parameter, string> type) =>
        string.Join("\n", items.Select(kv =>
            $"  ({kv.Key}): Parameter containing: [{type(kv.Value)} of size {string.Join("x", kv.Value.shape)}{Device(kv.Value)}]"));

    private static IEnumerable<(string Key, Parameter Value)> Items(IEnumerator<(string, Parameter)> items)
    {
        while (items.MoveNext())
        {
            yield return items.Current;
        }
    }

    private static string DTypeName(Parameter p) =>
        TensorText.DTypeName(p.dtype) ?? throw new NotSupportedException($"a parameter has the dtype {p.dtype}, which PyTorch's text does not cover here.");

    private static string Device(Parameter p) =>
        p.device_type == DeviceType.CUDA ? $" (cuda:{Math.Max(0, p.device_index)})" : "";

    /// <summary><c>torch.typename(p)</c>: the legacy tensor type name, e.g. <c>torch.FloatTensor</c>.</summary>
    private static string TypeName(Parameter p)
    {
        var name = p.dtype switch
        {
            ScalarType.Float32 => "FloatTensor",
            ScalarType.Float64 => "DoubleTensor",
            ScalarType.Float16 => "HalfTensor",
            ScalarType.BFloat16 => "BFloat16Tensor",
            ScalarType.Int64 => "LongTensor",
            ScalarType.Int32 => "IntTensor",
            ScalarType.Int16 => "ShortTensor",
            ScalarType.Int8 => "CharTensor",
            ScalarType.Byte => "ByteTensor",
            ScalarType.Bool => "BoolTensor",
            var other => throw new NotSupportedException($"a parameter has the dtype {other}, which has no PyTorch tensor type name here."),
        };
        return p.device_type == DeviceType.CUDA ? $"torch.cuda.{name}" : $"torch.{name}";
    }

    private static string Key(int index) => index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
