using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection.Layers;

/// <summary>The one table from a TorchSharp module type to what PyTorch prints for it, filled by one small class
/// per family (convolution, pooling, normalisation, ...).</summary>
internal sealed class LayerTextTable
{
    private readonly Dictionary<Type, LayerText> _texts = [];

    /// <summary>Every family's entries.</summary>
    public static LayerTextTable Default { get; } = CreateDefault();

    /// <summary>The TorchSharp types the table knows (generic types by their definition).</summary>
    public IReadOnlyCollection<Type> Types => _texts.Keys;

    /// <summary>Adds a layer whose <c>extra_repr</c> is <paramref name="extraRepr"/>.</summary>
    public void Add<T>(Func<T, string> extraRepr) where T : nn.Module =>
        Add(typeof(T), new LayerText { ExtraRepr = m => extraRepr((T)m) });

    /// <summary>Adds layers PyTorch prints without settings.</summary>
    public void AddNoSettings(params Type[] types)
    {
        foreach (var type in types)
        {
            Add(type, LayerText.NoSettings);
        }
    }

    /// <summary>Adds a type (or generic type definition) with its text.</summary>
    public void Add(Type type, LayerText text) => _texts.Add(type, text);

    /// <summary>The entry for a module's type or the nearest base type that has one; null when none has.</summary>
    public LayerText? Find(Type type)
    {
        for (var t = type; t is not null && t != typeof(nn.Module); t = t.BaseType)
        {
            if (_texts.TryGetValue(t, out var text)
                || (t.IsGenericType && _texts.TryGetValue(t.GetGenericTypeDefinition(), out text)))
            {
                return text;
            }
        }
        return null;
    }

    /// <summary>True for types of TorchSharp's own assembly: those have settings PyTorch prints, so a missing entry
    /// must not print as a bare <c>Name()</c>.</summary>
    public static bool IsTorchSharpType(Type type) => type.Assembly == typeof(nn.Module).Assembly;

    private static LayerTextTable CreateDefault()
    {
        var table = new LayerTextTable();
        LinearText.AddTo(table);
        ConvolutionText.AddTo(table);
        PoolingText.AddTo(table);
        NormalizationText.AddTo(table);
        DropoutText.AddTo(table);
        EmbeddingText.AddTo(table);
        RecurrentText.AddTo(table);
        ActivationText.AddTo(table);
        ShapeLayerText.AddTo(table);
        ContainerText.AddTo(table);
        TransformerText.AddTo(table);
        LossText.AddTo(table);
        TorchScriptText.AddTo(table);
        return table;
    }
}
