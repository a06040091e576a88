using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using NeuralNet.Torch.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inspection;

/// <summary>
/// A torchinfo-style summary of any model: every module with its output shape from a real forward pass, its
/// parameter count and whether it is trainable, then the totals, the parameter memory, the multiply-accumulates per
/// sample of the layers that ran, and the modules that did not run.
/// </summary>
/// <remarks>
/// <para>For the document's model and input shape <c>[1, 28, 28]</c>: output <c>[1, 10]</c>, 669,706 parameters (all
/// trainable), 2,678,824 bytes of float32 parameters, 668,672 multiply-accumulates per sample (784x512 + 512x512 +
/// 512x10).</para>
/// <para>Which layers count multiply-accumulates, and how, is listed on
/// <see cref="Create(nn.Module{Tensor, Tensor}, Tensor)"/>; the counts are checked against the same rule computed
/// by PyTorch forward hooks on the test zoo's models.</para>
/// </remarks>
public sealed class ModelSummary
{
    private ModelSummary(
        IReadOnlyList<long> inputShape,
        IReadOnlyList<long> outputShape,
        IReadOnlyList<LayerSummary> layers,
        long trainableParameters,
        long totalParameters,
        long parameterBytes,
        long? multiplyAccumulatesPerSample,
        IReadOnlyList<string> uncountedLayers,
        IReadOnlyList<string> layersNotRun)
    {
        InputShape = inputShape;
        OutputShape = outputShape;
        Layers = layers;
        TrainableParameters = trainableParameters;
        TotalParameters = totalParameters;
        ParameterBytes = parameterBytes;
        MultiplyAccumulatesPerSample = multiplyAccumulatesPerSample;
        UncountedLayers = uncountedLayers;
        LayersNotRun = layersNotRun;
    }

    /// <summary>The input shape the forward pass ran on, batch dimension first.</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>The model's output shape.</summary>
    public IReadOnlyList<long> OutputShape { get; }

    /// <summary>Every module, the model first, then depth-first in registration order.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>The number of parameter elements (each shared parameter once).</summary>
    public long TotalParameters { get; }

    /// <summary>The parameter elements that require grad.</summary>
    public long TrainableParameters { get; }

    /// <summary>The parameter elements that do not require grad.</summary>
    public long NonTrainableParameters => TotalParameters - TrainableParameters;

    /// <summary>The memory the parameters take: elements times element size (4 bytes for float32).</summary>
    public long ParameterBytes { get; }

    /// <summary>Multiply-accumulates of one sample's forward pass (the batch's count divided by the batch size),
    /// summed over every call of every layer that ran and has a rule (Linear, Bilinear, Conv*/ConvTranspose*,
    /// RNN/LSTM/GRU and their cells, Embedding, normalisation; see the remarks of
    /// <see cref="Create(nn.Module{Tensor, Tensor}, Tensor)"/>); modules without parameters of their own count 0, and
    /// modules that did not run are not counted (<see cref="LayersNotRun"/>), as torchinfo counts what ran. Null when a
    /// module that ran has parameters of its own and no rule, or a layer with a rule could not be hooked (see
    /// <see cref="UncountedLayers"/>).</summary>
    public long? MultiplyAccumulatesPerSample { get; }

    /// <summary>The modules that make <see cref="MultiplyAccumulatesPerSample"/> unknown, as <c>name (Type)</c>:
    /// modules with parameters of their own and no rule that ran or may have run (PReLU, TorchSharp's transformer
    /// blocks, a user's own parameters), and layers with a rule whose forward signature cannot be hooked here, so
    /// their runs cannot be counted.</summary>
    public IReadOnlyList<string> UncountedLayers { get; }

    /// <summary>The modules the forward pass did not run, by qualified name as <c>named_modules()</c> gives it
    /// (<c>AuxLogits</c> of Inception v3 in eval mode, <c>features.3</c>), in registration order; a module is listed
    /// without its submodules. They count no multiply-accumulates; their parameters are in the parameter totals.</summary>
    /// <remarks>A module is seen running through its hooks, which TorchSharp runs on <c>call</c>: a module whose
    /// parent calls its <c>forward</c> directly is listed here too, though it ran.</remarks>
    public IReadOnlyList<string> LayersNotRun { get; }

    /// <summary>Summarises a model by running it once on random input of the given shape.</summary>
    /// <param name="model">The model. It runs in eval mode under <c>no_grad</c>; the train/eval mode of every module
    /// is restored afterwards, and the parameters are not changed.</param>
    /// <param name="inputShape">The input shape, batch dimension first, e.g. <c>[1, 28, 28]</c>. The input is
    /// uniform random in [0, 1), with the dtype and device of the model's first floating-point parameter (float32 on
    /// the CPU when it has none). For integer inputs (token ids) use <see cref="Create(nn.Module{Tensor, Tensor}, Tensor)"/>.</param>
    /// <returns>The summary. Every tensor made on the way is disposed, and the hooks are removed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="inputShape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="inputShape"/> is empty or has a dimension below 1; or the
    /// shape does not fit the model: the message names the module that could not take its input and that input's
    /// shape (libtorch's own error is the inner exception).</exception>
    public static ModelSummary Create(nn.Module<Tensor, Tensor> model, params long[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length == 0 || inputShape.Any(d => d < 1))
        {
            throw new ArgumentException(
                $"Expected an input shape with a batch dimension first and every dimension at least 1, e.g. [1, 28, 28]; found {ShapeText.Of(inputShape)}.",
                nameof(inputShape));
        }
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var reference = model.parameters().FirstOrDefault(p => p.is_floating_point());
        var input = reference is null ? rand(inputShape) : rand(inputShape, reference.dtype, reference.device);
        return Summarise(model, input, nameof(inputShape));
    }

    /// <summary>Summarises a model by running it once on the given input, e.g. a batch of token ids (int64) for a
    /// model that starts with an Embedding.</summary>
    /// <param name="model">The model. It runs in eval mode under <c>no_grad</c>; the train/eval mode of every module
    /// is restored afterwards, and the parameters are not changed.</param>
    /// <param name="sampleInput">The input, batch dimension first, of any dtype and on the model's device; it is
    /// not changed or disposed.</param>
    /// <returns>The summary. Every tensor made on the way is disposed, and the hooks are removed.</returns>
    /// <remarks>
    /// <para>Output shapes are recorded by forward hooks, which TorchSharp runs when a module is invoked with
    /// <c>call</c> (as <c>Sequential</c> invokes its children and as PyTorch's <c>module(x)</c> does); a child whose
    /// parent invokes <c>child.forward(x)</c> directly is not seen: its output shape is shown as <c>--</c> and it is
    /// listed in <see cref="LayersNotRun"/>, as a module the pass did not call is.
    /// Recurrent layers show the shape of their output sequence (the first item of their result).</para>
    /// <para>Multiply-accumulates per call, divided by the batch size at the end: <c>Linear</c> counts
    /// <c>in_features</c> per output element; <c>Bilinear</c> <c>in1_features x in2_features</c> per output element;
    /// Conv1d/2d/3d <c>in_channels / groups x kernel elements</c> per output element; ConvTranspose1d/2d/3d
    /// <c>out_channels / groups x kernel elements</c> per INPUT element (the products it really computes: counted per
    /// output element, a strided transposed convolution would include the zeros it inserts); RNN, LSTM, GRU and
    /// their cells, per time step of each sample, <c>gates x hidden x (layer input + hidden)</c> for every layer
    /// and direction (gates 1, 4, 3; the layer input is <c>input_size</c> for the first layer and
    /// <c>directions x hidden</c> after it); Embedding, EmbeddingBag and the normalisation layers (BatchNorm*,
    /// InstanceNorm*, LayerNorm, GroupNorm: an element-wise scale and shift) 0. Biases, activations and pooling are
    /// not counted.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="sampleInput"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampleInput"/> is 0-dim or has an empty batch; or it
    /// does not fit the model: the message names the module that could not take its input and that input's shape
    /// (libtorch's own error is the inner exception).</exception>
    public static ModelSummary Create(nn.Module<Tensor, Tensor> model, Tensor sampleInput)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleInput);
        TorchRuntime.EnsureInitialized();
        if (sampleInput.ndim == 0 || sampleInput.shape[0] < 1)
        {
            throw new ArgumentException(
                $"Expected a sample input with a batch dimension first and at least one sample; found shape {ShapeText.Of(sampleInput.shape)}.",
                nameof(sampleInput));
        }
        return Summarise(model, sampleInput, nameof(sampleInput));
    }

    private static ModelSummary Summarise(nn.Module<Tensor, Tensor> model, Tensor input, string parameterName)
    {
        var shape = input.shape;
        var modules = new List<(string Name, int Depth, nn.Module Module)>();
        Walk(model, "", 0, modules);
        // A module reached twice (shared) is hooked once, under its first name.
        var names = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, _, module) in modules)
        {
            names.TryAdd(module, name);
        }

        var outputShapes = new Dictionary<nn.Module, long[]>(ReferenceEqualityComparer.Instance);
        var seen = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        var hooked = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        var running = new Stack<(string Name, nn.Module Module, long[] InputShape)>();
        var macs = 0L;
        var removers = new List<Action>();
        foreach (var module in names.Keys)
        {
            var remove = LayerHooks.Register(
                module,
                (m, inputShape) => running.Push((names[m], m, inputShape)),
                (m, inputShape, outputShape) =>
                {
                    running.TryPop(out _);
                    outputShapes.TryAdd(m, outputShape);
                    seen.Add(m);
                    macs += MultiplyAccumulates.Count(m, inputShape, outputShape) ?? 0;
                });
            if (remove is not null)
            {
                removers.Add(remove);
                hooked.Add(module);
            }
        }

        long[] outputShape;
        var wasTraining = modules.Select(m => m.Module.training).ToArray();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            model.eval();
            try
            {
                outputShape = model.call(input).shape;
            }
            catch (ExternalException e)
            {
                throw ShapeMismatch(shape, running.Count > 0 ? running.Peek() : ("", model, shape), e, parameterName);
            }
        }
        finally
        {
            foreach (var remove in removers)
            {
                remove();
            }
            // Parents first: train() also sets the children, whose own earlier mode is restored after.
            for (var i = 0; i < modules.Count; i++)
            {
                modules[i].Module.train(wasTraining[i]);
            }
        }

        var layers = new List<LayerSummary>();
        var uncounted = new List<string>();
        var notRun = new List<string>();
        var notRunNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, depth, module) in modules)
        {
            var parameters = module.parameters().Distinct<Parameter>(ReferenceEqualityComparer.Instance).ToList();
            layers.Add(new LayerSummary(
                name,
                ModuleText.TypeName(module),
                depth,
                outputShapes.TryGetValue(module, out var output) ? output : null,
                parameters.Sum(p => p.numel()),
                parameters.Where(p => p.requires_grad).Sum(p => p.numel())));
            // Inside a module that did not run, nothing ran (an unhooked module included); only the outermost is listed.
            var insideNotRun = name.Length > 0 && notRunNames.Contains(ParentName(name));
            if (!seen.Contains(module) && (hooked.Contains(module) || insideNotRun))
            {
                notRunNames.Add(name);
                if (!insideNotRun)
                {
                    notRun.Add(DisplayName(name, module));
                }
                continue;
            }
            var counted = MultiplyAccumulates.HasRule(module)
                ? MultiplyAccumulates.IsZero(module) || seen.Contains(module)
                : !module.parameters(recurse: false).Any();
            if (!counted)
            {
                uncounted.Add($"{DisplayName(name, module)} ({ModuleText.TypeName(module)})");
            }
        }
        var all = model.parameters().Distinct<Parameter>(ReferenceEqualityComparer.Instance).ToList();
        return new ModelSummary(
            shape,
            outputShape,
            layers,
            trainableParameters: all.Where(p => p.requires_grad).Sum(p => p.numel()),
            totalParameters: all.Sum(p => p.numel()),
            parameterBytes: all.Sum(p => p.numel() * p.element_size()),
            multiplyAccumulatesPerSample: uncounted.Count == 0 ? macs / shape[0] : null,
            uncounted,
            notRun);
    }

    /// <summary>The summary as a table, one row per module (indented by depth), then the totals.</summary>
    /// <returns>The text, lines separated by <c>\n</c>, ending with a line break.</returns>
    /// <remarks>Columns: <c>Layer (type)</c>, <c>Output Shape</c> (<c>--</c> when not seen), <c>Param #</c> (the
    /// module's parameters with its children's), <c>Trainable</c> (<c>True</c>, <c>False</c>, <c>Partial</c>, or
    /// <c>--</c> without parameters). Numbers use the invariant culture with thousands separators. When modules did
    /// not run, one line after the multiply-accumulates names them: <c>Not run (not counted): AuxLogits</c>.</remarks>
    public override string ToString()
    {
        var rows = Layers.Select(layer => (
            Label: new string(' ', 2 * layer.Depth) + (layer.Depth == 0 ? layer.TypeName : $"{LastKey(layer.Name)} ({layer.TypeName})"),
            Shape: layer.OutputShape is null ? "--" : ShapeText.Of(layer.OutputShape),
            Count: Number(layer.ParameterCount),
            Trainable: layer.ParameterCount == 0 ? "--"
                : layer.TrainableParameterCount == layer.ParameterCount ? "True"
                : layer.TrainableParameterCount == 0 ? "False" : "Partial")).ToList();
        const string LabelHeader = "Layer (type)", ShapeHeader = "Output Shape", CountHeader = "Param #", TrainableHeader = "Trainable";
        var labelWidth = Math.Max(LabelHeader.Length, rows.Max(r => r.Label.Length)) + 2;
        var shapeWidth = Math.Max(ShapeHeader.Length, rows.Max(r => r.Shape.Length)) + 2;
        var countWidth = Math.Max(CountHeader.Length, rows.Max(r => r.Count.Length));
        var rule = new string('=', labelWidth + shapeWidth + countWidth + 2 + TrainableHeader.Length);

        var text = new StringBuilder();
        text.Append(rule).Append('\n');
        text.Append(LabelHeader.PadRight(labelWidth)).Append(ShapeHeader.PadRight(shapeWidth))
            .Append(CountHeader.PadLeft(countWidth)).Append("  ").Append(TrainableHeader).Append('\n');
        text.Append(rule).Append('\n');
        foreach (var row in rows)
        {
            text.Append(row.Label.PadRight(labelWidth)).Append(row.Shape.PadRight(shapeWidth))
                .Append(row.Count.PadLeft(countWidth)).Append("  ").Append(row.Trainable).Append('\n');
        }
        text.Append(rule).Append('\n');
        text.Append("Total params: ").Append(Number(TotalParameters)).Append('\n');
        text.Append("Trainable params: ").Append(Number(TrainableParameters)).Append('\n');
        text.Append("Non-trainable params: ").Append(Number(NonTrainableParameters)).Append('\n');
        text.Append("Params size: ").Append(Number(ParameterBytes)).Append(" bytes (")
            .Append((ParameterBytes / 1e6).ToString("0.00", CultureInfo.InvariantCulture)).Append(" MB)\n");
        text.Append("Input shape: ").Append(ShapeText.Of(InputShape)).Append('\n');
        text.Append("Output shape: ").Append(ShapeText.Of(OutputShape)).Append('\n');
        text.Append("Mult-adds per sample: ").Append(MultiplyAccumulatesPerSample is { } macs
            ? Number(macs)
            : "unknown (not counted: " + string.Join(", ", UncountedLayers) + ")").Append('\n');
        if (LayersNotRun.Count > 0)
        {
            text.Append("Not run (not counted): ").Append(string.Join(", ", LayersNotRun)).Append('\n');
        }
        text.Append(rule).Append('\n');
        return text.ToString();
    }

    private static void Walk(nn.Module module, string name, int depth, List<(string, int, nn.Module)> modules)
    {
        modules.Add((name, depth, module));
        foreach (var (childKey, child) in module.named_children())
        {
            Walk(child, name.Length == 0 ? childKey : $"{name}.{childKey}", depth + 1, modules);
        }
    }

    private static ArgumentException ShapeMismatch(long[] inputShape, (string Name, nn.Module Module, long[] InputShape) failing, Exception inner, string parameterName)
    {
        var (name, module, moduleInput) = failing;
        var repr = ModuleText.Repr(module);
        var description = repr.Contains('\n', StringComparison.Ordinal) ? ModuleText.TypeName(module) : repr;
        var where = name.Length == 0 ? $"the model itself ({description})" : $"layer '{name}' ({description})";
        var expectation = module is Linear linear
            ? $"; Linear expects the last dimension to be in_features={linear.in_features}"
            : "";
        return new ArgumentException(
            $"Input shape {ShapeText.Of(inputShape)} does not fit the model: {where} could not take its input of shape " +
            $"{ShapeText.Of(moduleInput)}{expectation}.",
            parameterName,
            inner);
    }

    private static string DisplayName(string name, nn.Module module) => name.Length == 0 ? ModuleText.TypeName(module) : name;

    private static string LastKey(string name) => name[(name.LastIndexOf('.') + 1)..];

    private static string ParentName(string name) => name[..Math.Max(0, name.LastIndexOf('.'))];

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
