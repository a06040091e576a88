using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// An MLP chain frozen by <see cref="PackedInference.Freeze"/>: an immutable copy of its weights, taken once, that it
/// owns and predicts with: softmax + argmax on the packed path's fastest layouts for small CPU batches, libtorch for the
/// rest.
/// </summary>
/// <remarks>
/// <para><b>What it computes with.</b> Only its own copies: the layers' weights and biases cloned into tensors no one
/// else can reach (on the model's device, in its dtype), and for a float32 CPU model the extra layouts of the packed
/// path (the first two layers by columns for one sample, the hidden layers interleaved for 2 and 3). The packed path
/// and the libtorch path read the same copy, so they always agree, and nothing done to the original model (training,
/// <c>LoadCheckpoint</c>, <c>load_state_dict</c>, <c>copy_</c>, <c>to()</c>, replacing or disposing it) can make a
/// frozen model give a result of other weights than the frozen ones: it keeps giving exactly the results of the
/// moment it was frozen. To serve new weights, freeze again. About three times the weights' size in memory for a
/// float32 CPU model (the documented model: about 8 MB), once.</para>
/// <para><b>Input.</b> <c>[N, InputFeatures]</c>, or, when the chain starts with Flatten, any <c>[N, ...]</c> of
/// <see cref="InputFeatures"/> values per sample; floating point (converted to the copy's dtype and device), every value
/// finite. A tensor is never changed or disposed.</para>
/// <para><b>Threads.</b> It never changes, so any number of threads may predict with it at once; only
/// <see cref="Dispose"/> must not run while they do.</para>
/// </remarks>
public sealed class FrozenModel : IDisposable
{
    private const ulong VerificationSeed = 20170601;

    private readonly (Tensor Weight, Tensor? Bias)[] _layers;
    private readonly bool _finalRelu;
    private readonly bool _flattens;
    private readonly MlpPlan? _plan;
    private readonly string _packedReason = "";
    private int _disposed;

    internal FrozenModel(nn.Module<Tensor, Tensor> model, MlpChain chain)
    {
        _finalRelu = chain.FinalRelu;
        _flattens = chain.FlattensInput;
        _layers = Copy(chain);
        try
        {
            CheckLayers();
            InputFeatures = (int)_layers[0].Weight.size(1);
            Classes = (int)_layers[^1].Weight.size(0);
            Verify(model);
            var weight = _layers[0].Weight;
            if (MlpPlan.TryCreate(_layers, _flattens, _finalRelu, out var plan, out var reason))
            {
                _plan = plan.WithPacked(new PackedWeights(plan));
            }
            else
            {
                _packedReason = reason;
            }
            Device = weight.device;
            DType = weight.dtype;
        }
        catch
        {
            DisposeLayers();
            throw;
        }
    }

    /// <summary>Values per sample: the first Linear's input width.</summary>
    public int InputFeatures { get; }

    /// <summary>The number of classes: the last Linear's output width.</summary>
    public int Classes { get; }

    /// <summary>The device of the copy (the model's when it was frozen).</summary>
    public Device Device { get; }

    /// <summary>The element type of the copy (the model's when it was frozen).</summary>
    public ScalarType DType { get; }

    /// <summary>The packed path's extra layouts (null off the CPU or for other dtypes).</summary>
    internal PackedWeights? Packed => _plan?.Packed;

    /// <summary>The implementation that <see cref="Predict(Tensor, InferenceOptions?)"/> uses for a CPU input of
    /// <paramref name="batchSize"/> samples.</summary>
    /// <param name="batchSize">The number of samples.</param>
    /// <param name="options">The options; null for <see cref="InferenceOptions.Default"/>.</param>
    /// <returns><see cref="InferencePath.Packed"/> up to <see cref="InferenceOptions.PackedMaxBatchSize"/> for a float32
    /// CPU copy; above it <see cref="InferencePath.LibTorchBFloat16"/> when asked for; otherwise
    /// <see cref="InferencePath.LibTorch"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is negative.</exception>
    /// <exception cref="NotSupportedException">bfloat16 is asked for, but the copy is not on the CPU or the CPU has no
    /// AVX512_BF16.</exception>
    /// <exception cref="ObjectDisposedException">The frozen model is disposed.</exception>
    internal InferencePath ChoosePath(long batchSize, InferenceOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        ThrowIfDisposed();
        return Choose(batchSize, options ?? InferenceOptions.Default);
    }

    /// <summary>Predicts a class for each sample of a batch: <c>softmax(dim=1)</c> of the frozen chain's logits, and
    /// their argmax (libtorch's rules: the first index wins a tie).</summary>
    /// <param name="input">The samples (see the remarks for shapes).</param>
    /// <param name="options">The packed path's cut-over, the precision of large batches and the class names; null
    /// for <see cref="InferenceOptions.Default"/>.</param>
    /// <returns>One prediction per sample, in order; empty for an empty batch.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="input"/> is null.</exception>
    /// <exception cref="ArgumentException">The shape does not fit the chain, the dtype is not floating point, a value
    /// is NaN or infinite, or the class names are not one per class; the message names what was expected and found.</exception>
    /// <exception cref="NotSupportedException">bfloat16 is asked for where it cannot run (see <see cref="InferencePrecision.BFloat16"/>).</exception>
    /// <exception cref="ObjectDisposedException">The frozen model is disposed.</exception>
    public IReadOnlyList<ClassPrediction> Predict(Tensor input, InferenceOptions? options = null) =>
        Predict(input, options, nameof(input));

    /// <summary>Predicts the class of one sample: <paramref name="sample"/> with a batch dimension added.</summary>
    /// <param name="sample">One sample: <c>[InputFeatures]</c>, or, after a Flatten, any shape of
    /// <see cref="InputFeatures"/> values.</param>
    /// <param name="options">As for <see cref="Predict(Tensor, InferenceOptions?)"/>.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sample"/> is null.</exception>
    /// <exception cref="ArgumentException">As for <see cref="Predict(Tensor, InferenceOptions?)"/>.</exception>
    /// <exception cref="ObjectDisposedException">The frozen model is disposed.</exception>
    public ClassPrediction PredictOne(Tensor sample, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sample);
        using var batch = sample.unsqueeze(0);
        return Predict(batch, options, nameof(sample))[0];
    }

    /// <summary>Computes the logits of a batch on the packed path into a caller's buffer (no allocation in steady state).</summary>
    /// <param name="samples">N samples of <see cref="InputFeatures"/> values each, row by row.</param>
    /// <param name="logits">Receives the logits <c>[N * Classes]</c>.</param>
    /// <exception cref="ArgumentException">The length of <paramref name="samples"/> is not a multiple of
    /// <see cref="InputFeatures"/>, <paramref name="logits"/> does not hold N * <see cref="Classes"/> values, or a value
    /// is NaN or infinite.</exception>
    /// <exception cref="NotSupportedException">The copy is not float32 on the CPU (the message says what it is).</exception>
    /// <exception cref="ObjectDisposedException">The frozen model is disposed.</exception>
    public void Forward(ReadOnlySpan<float> samples, Span<float> logits)
    {
        var n = PrepareSpans(samples, logits.Length, nameof(logits));
        _plan!.Forward(samples, n, logits);
    }

    /// <summary>Predicts a batch on the packed path: softmax probabilities and argmax classes into a caller's buffers
    /// (no allocation in steady state).</summary>
    /// <param name="samples">N samples of <see cref="InputFeatures"/> values each, row by row.</param>
    /// <param name="probabilities">Receives softmax(logits) <c>[N * Classes]</c>.</param>
    /// <param name="classes">Receives each sample's argmax <c>[N]</c>.</param>
    /// <exception cref="ArgumentException">The lengths do not fit, or a value is NaN or infinite.</exception>
    /// <exception cref="NotSupportedException">The copy is not float32 on the CPU.</exception>
    /// <exception cref="ObjectDisposedException">The frozen model is disposed.</exception>
    public void Predict(ReadOnlySpan<float> samples, Span<float> probabilities, Span<int> classes)
    {
        var n = PrepareSpans(samples, probabilities.Length, nameof(probabilities));
        if (classes.Length != n)
        {
            throw new ArgumentException($"Expected {n} classes for {n} samples; found a buffer of {classes.Length}.", nameof(classes));
        }
        _plan!.Forward(samples, n, probabilities);
        PredictionResults.SoftmaxRows(probabilities, n, Classes);
        for (var i = 0; i < n; i++)
        {
            classes[i] = PredictionResults.ArgMax(probabilities.Slice(i * Classes, Classes));
        }
    }

    /// <summary>Frees the copy of the weights. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            DisposeLayers();
        }
    }

    /// <summary>Softmax + argmax of <paramref name="count"/> samples already checked (length, finiteness), row by row:
    /// the predictor's batches. <paramref name="packed"/> says which path ran.</summary>
    internal ClassPrediction[] PredictChecked(float[] samples, int count, InferenceOptions options, out bool packed)
    {
        ThrowIfDisposed();
        var path = Choose(count, options);
        packed = path == InferencePath.Packed;
        if (packed)
        {
            return _plan!.PredictChecked(samples, count, options.ClassNames);
        }
        using var input = tensor(samples, [count, InputFeatures]);
        return LinearChain.Predict(_layers, _finalRelu, input, count, InputFeatures, path == InferencePath.LibTorchBFloat16,
            options.ClassNames, "samples", "input");
    }

    private IReadOnlyList<ClassPrediction> Predict(Tensor input, InferenceOptions? options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(input, paramName);
        ThrowIfDisposed();
        options ??= InferenceOptions.Default;
        if (!MlpPlan.Fits(input, _flattens, InputFeatures))
        {
            throw MlpPlan.ShapeError(input, _flattens, InputFeatures, paramName);
        }
        if (!input.is_floating_point())
        {
            throw new ArgumentException($"Expected a floating-point tensor; found dtype {input.dtype}.", paramName);
        }
        var count = input.size(0);
        if (count == 0)
        {
            return [];
        }
        var path = Choose(count, options);
        if (path == InferencePath.Packed && input.device_type == DeviceType.CPU)
        {
            return _plan!.Predict(input, count, options.ClassNames, paramName, "input");
        }
        return LinearChain.Predict(_layers, _finalRelu, input, count, InputFeatures, path == InferencePath.LibTorchBFloat16,
            options.ClassNames, paramName, "input");
    }

    private InferencePath Choose(long batchSize, InferenceOptions options) =>
        PathChoice.Choose(batchSize, options, Device.type, packed: _plan is not null);

    private int PrepareSpans(ReadOnlySpan<float> samples, int outputLength, string outputName)
    {
        ThrowIfDisposed();
        if (_plan is null)
        {
            throw new NotSupportedException($"The packed path cannot run this frozen model: {_packedReason}.");
        }
        if (samples.Length % InputFeatures != 0)
        {
            throw new ArgumentException($"Expected N samples of {InputFeatures} values each; found {samples.Length} values.", nameof(samples));
        }
        var n = samples.Length / InputFeatures;
        if (outputLength != n * Classes)
        {
            throw new ArgumentException($"Expected {n * Classes} values for {n} samples; found a buffer of {outputLength}.", outputName);
        }
        var nonFinite = NonFinite.Count(samples);
        if (nonFinite > 0)
        {
            throw NonFinite.Error(nonFinite, nameof(samples), "input");
        }
        return n;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    // Clones of the live parameters, detached from autograd and from any dispose scope of the caller's: owned here.
    private static (Tensor, Tensor?)[] Copy(MlpChain chain)
    {
        var copies = new List<(Tensor Weight, Tensor? Bias)>();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        try
        {
            foreach (var linear in chain.Layers)
            {
                var weight = linear.weight.detach().contiguous().clone().DetachFromDisposeScope();
                copies.Add((weight, null));
                copies[^1] = (weight, linear.bias?.detach().contiguous().clone().DetachFromDisposeScope());
            }
        }
        catch
        {
            foreach (var (weight, bias) in copies)
            {
                weight.Dispose();
                bias?.Dispose();
            }
            throw;
        }
        return [.. copies];
    }

    private void CheckLayers()
    {
        var first = _layers[0].Weight;
        if (!first.is_floating_point())
        {
            throw new NotSupportedException($"Cannot freeze the model: its parameters are {first.dtype}, not floating point.");
        }
        for (var l = 0; l < _layers.Length; l++)
        {
            var (weight, bias) = _layers[l];
            foreach (var tensor in bias is null ? new[] { weight } : new[] { weight, bias })
            {
                if (tensor.dtype != first.dtype || tensor.device_type != first.device_type || tensor.device_index != first.device_index)
                {
                    throw new NotSupportedException(
                        $"Cannot freeze the model: Linear layer {l} has {tensor.dtype} parameters on {Devices.Describe(tensor.device)}, " +
                        $"the first {first.dtype} on {Devices.Describe(first.device)}.");
                }
            }
            var previous = l == 0 ? -1 : _layers[l - 1].Weight.size(0);
            if (weight.Dimensions != 2 || (l > 0 && weight.size(1) != previous)
                || (bias is not null && (bias.Dimensions != 1 || bias.size(0) != weight.size(0))))
            {
                throw new NotSupportedException(
                    $"Cannot freeze the model: Linear layer {l} has a weight of shape {ShapeText.Of(weight.shape)}" +
                    (bias is null ? "" : $" and a bias of shape {ShapeText.Of(bias.shape)}") +
                    (l > 0 ? $" after a layer of {previous} outputs." : "."));
            }
        }
    }

    // The copy must compute what the model's own forward computes: this catches an ISequentialModule declaration that
    // is not true (a residual add, a scaling) before anything is served from the copy.
    private void Verify(nn.Module<Tensor, Tensor> model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var eval = EvalMode.Enter(model);
        using var generator = new Generator(VerificationSeed, CPU);
        var reference = _layers[0].Weight;
        var x = randn([2, InputFeatures], ScalarType.Float32, CPU, generator: generator).to(reference.dtype, reference.device);
        Tensor own;
        try
        {
            own = model.call(x);
        }
        catch (ExternalException e)
        {
            throw new NotSupportedException($"Cannot freeze the model: its forward fails on a batch of shape [2, {InputFeatures}]: {e.Message.Split('\n')[0]}", e);
        }
        var chained = LinearChain.Forward(_layers, _finalRelu, x, bfloat16: false);
        if (own.shape.SequenceEqual(chained.shape) && own.allclose(chained, rtol: 1e-5, atol: 1e-6, equal_nan: true))
        {
            return;
        }
        var difference = own.shape.SequenceEqual(chained.shape)
            ? "largest difference " + (own - chained).abs().nan_to_num(0).max().item<float>().ToString("G6", CultureInfo.InvariantCulture)
            : $"shape {ShapeText.Of(own.shape)} against {ShapeText.Of(chained.shape)}";
        throw new NotSupportedException(
            "Cannot freeze the model: on a random batch its forward differs from the chain of its modules " +
            $"[Flatten] Linear (ReLU Linear)* [ReLU] ({difference}); a module that implements {nameof(ISequentialModule)} must " +
            "apply its declared children in order and do nothing else.");
    }

    private void DisposeLayers()
    {
        foreach (var (weight, bias) in _layers)
        {
            weight.Dispose();
            bias?.Dispose();
        }
    }
}
