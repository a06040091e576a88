using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// The fast small-batch float32 path: the MLP computed by managed SIMD kernels (AVX-512 <see cref="Vector512{T}"/>,
/// else <see cref="TensorPrimitives"/>) over the model's live parameters, with the hidden layers' output rows split
/// across two cores, ReLU fused, and softmax + argmax at the end.
/// </summary>
/// <remarks>
/// <para><b>How the weights stay in sync.</b> Two sources, chosen per call:</para>
/// <list type="bullet">
/// <item><description>A model that may be trained (in training mode, or any parameter with <c>requires_grad</c>) is read
/// live: the kernels read its three Linear layers' current float32 parameters in place (row-major <c>[out, in]</c>,
/// 8 output rows per pass over the input). Nothing is copied, so nothing can be stale.</description></item>
/// <item><description>A frozen model (eval mode and every parameter <c>requires_grad == false</c>: the state the
/// <see cref="Serving.Predictor"/> and <see cref="Freeze"/> put it in) gets a snapshot: its weights copied once into
/// pinned managed arrays (about 5.4 MB, twice the weights), in two layouts. A single image runs on the hidden layers'
/// weights stored by columns, split in four quarters with no barrier between the layers (see
/// <c>SingleImageJob</c>): inputs that are exactly zero skip their column, so an MNIST image (about 81% background)
/// reads about a quarter of the first layer's weights and every image skips the rows of the second layer that ReLU
/// zeroed (about half); measured 0.36x ONNX Runtime's batch-1 latency on real MNIST images, 0.5-0.8x on dense random
/// input. Batches of 2 and 3 run on the rows interleaved 8 at a time, so each block is one sequential stream (about
/// 1.5x the bandwidth of the row-major layout from L2 here); from 4 images on, the live row-major weights with 4 x 4
/// register blocks are faster. The snapshot is checked at every call (a few
/// native calls): entering training mode, <see cref="Persistence.Checkpoint.LoadCheckpoint"/>, a
/// call that finds the model trainable (training mode or a parameter with <c>requires_grad</c>), a replaced parameter
/// (<c>to()</c>, assignment) or <see cref="Refresh"/> retire it. What it cannot see is a change made entirely between
/// two calls while the model stays frozen as far as they can tell: an in-place write by other code (TorchSharp's own
/// <c>load_state_dict</c>, <c>copy_</c> under <c>no_grad</c>), or <c>requires_grad</c> turned on, the model trained
/// without <c>train()</c>, and turned off again before the next call. Call <see cref="Refresh"/> after those.</description></item>
/// </list>
/// <para><b>When it is used.</b> <see cref="PredictionExtensions.Predict(NeuralNetwork, torch.Tensor, InferenceOptions)"/>
/// and the <see cref="Serving.Predictor"/> take it for batches of up to
/// <see cref="InferenceOptions.PackedMaxBatchSize"/> images (default <see cref="DefaultMaxBatchSize"/>) when the model's
/// parameters are float32 on the CPU, contiguous, in the documented or quickstart layout, and the input is on the CPU
/// (float64, float16 and bfloat16 input and strided views are converted to contiguous float32 first, as the libtorch
/// path converts them); libtorch runs everything else (larger batches, CUDA, models of other dtypes).</para>
/// <para><b>Results</b> equal libtorch's float32 forward pass within float32 rounding (the sums run in another order):
/// tested within 1e-5 on probabilities, on random weights and on the real PyTorch checkpoints with MNIST images. The
/// class is the first index of the largest probability, as libtorch's argmax; two classes whose probabilities tie
/// within rounding may come out the other way round than libtorch's. Input is checked exactly as
/// <see cref="PredictionExtensions.Predict(NeuralNetwork, torch.Tensor)"/> does (same exceptions, same messages).</para>
/// <para><b>Threads.</b> One process-wide helper thread runs half of each batch's rows; after a batch it watches for
/// the next one for 200 us (spinning, then yielding its core to other runnable threads), then sleeps. Set the
/// environment variable <c>NEURALNET_PACKED_HELPER=0</c> to run on the calling thread only. A second thread predicting at the same time computes alone on its own
/// thread. Like libtorch's own forward pass, it must not run while another thread changes the model.</para>
/// </remarks>
public static unsafe class PackedInference
{
    /// <summary>The default cut-over: batches up to this size run on the packed path. Measured on the project's
    /// 2-core AMD EPYC (Zen 5) against libtorch 2.10's MKL path (benchmarks/README.md, <c>cutover</c>): the packed
    /// path was 1.9x faster per image at 256 and 1.4x at 512, and at 4096 the two were within the machine's noise of
    /// each other, so 256 keeps a clear margin. On other CPUs measure with the benchmark's <c>cutover</c> run and set
    /// <see cref="InferenceOptions.PackedMaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 256;

    /// <summary>Whether the packed path can run this model now.</summary>
    /// <param name="model">The model.</param>
    /// <param name="reason">Why not (empty when it can).</param>
    /// <returns>True for a float32 model on the CPU in the documented or quickstart layout.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static bool IsSupported(NeuralNetwork model, out string reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        return MlpWeights.TryResolve(model, out _, out reason);
    }

    /// <summary>The implementation that <see cref="PredictionExtensions.Predict(NeuralNetwork, torch.Tensor, InferenceOptions)"/>
    /// uses for a CPU input of <paramref name="batchSize"/> images.</summary>
    /// <param name="model">The model.</param>
    /// <param name="batchSize">The number of images.</param>
    /// <param name="options">The options; null for <see cref="InferenceOptions.Default"/>.</param>
    /// <returns><see cref="InferencePath.Packed"/> up to <see cref="InferenceOptions.PackedMaxBatchSize"/> when
    /// <see cref="IsSupported"/>; above it <see cref="InferencePath.LibTorchBFloat16"/> when
    /// <see cref="InferenceOptions.Precision"/> asks for it; otherwise <see cref="InferencePath.LibTorch"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is negative.</exception>
    /// <exception cref="NotSupportedException">bfloat16 is asked for, but the model is not on the CPU or the CPU
    /// has no AVX512_BF16.</exception>
    public static InferencePath ChoosePath(this NeuralNetwork model, long batchSize, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        return Choose(model, batchSize, packableInput: true, options ?? InferenceOptions.Default, out _);
    }

    /// <summary>Computes the logits of a batch on the packed path, into a caller's buffer (no allocation).</summary>
    /// <param name="model">The model (float32, on the CPU, see <see cref="IsSupported"/>).</param>
    /// <param name="images">N images of 784 values each, row by row: <c>[N * 784]</c>.</param>
    /// <param name="logits">Receives the logits <c>[N * 10]</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="images"/> is not a multiple of 784,
    /// <paramref name="logits"/> does not hold N * 10 values, or an input value is NaN or infinite.</exception>
    /// <exception cref="NotSupportedException">The model cannot run on the packed path (the message says why).</exception>
    public static void Forward(NeuralNetwork model, ReadOnlySpan<float> images, Span<float> logits)
    {
        var n = Prepare(model, images, logits.Length, nameof(logits), out var weights);
        if (n > 0)
        {
            fixed (float* x = images, y = logits)
            {
                MlpForwardJob.ForThisThread.Forward(weights, x, n, y);
            }
        }
    }

    /// <summary>Predicts a batch on the packed path: softmax probabilities and argmax classes, into a caller's buffers
    /// (no allocation in steady state).</summary>
    /// <param name="model">The model (float32, on the CPU, see <see cref="IsSupported"/>).</param>
    /// <param name="images">N images of 784 values each, row by row: <c>[N * 784]</c>.</param>
    /// <param name="probabilities">Receives softmax(logits) <c>[N * 10]</c>.</param>
    /// <param name="classes">Receives the argmax of each image's probabilities <c>[N]</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException">The length of <paramref name="images"/> is not a multiple of 784, the
    /// buffers have the wrong length, or an input value is NaN or infinite.</exception>
    /// <exception cref="NotSupportedException">The model cannot run on the packed path (the message says why).</exception>
    public static void Predict(NeuralNetwork model, ReadOnlySpan<float> images, Span<float> probabilities, Span<int> classes)
    {
        var n = Prepare(model, images, probabilities.Length, nameof(probabilities), out var weights);
        if (classes.Length != n)
        {
            throw new ArgumentException($"Expected {n} classes for {n} images; found a buffer of {classes.Length}.", nameof(classes));
        }
        if (n > 0)
        {
            fixed (float* x = images, y = probabilities)
            {
                MlpForwardJob.ForThisThread.Forward(weights, x, n, y);
            }
            PredictionResults.SoftmaxRows(probabilities, n);
            for (var i = 0; i < n; i++)
            {
                classes[i] = PredictionResults.ArgMax(probabilities.Slice(i * NeuralNetwork.OutputFeatures, NeuralNetwork.OutputFeatures));
            }
        }
    }

    /// <summary>Prepares a model for serving: eval mode and <c>requires_grad = false</c> on every parameter, the state in
    /// which the packed path uses its fastest weight snapshot (see the remarks of <see cref="PackedInference"/>).</summary>
    /// <param name="model">The model.</param>
    /// <returns><paramref name="model"/>.</returns>
    /// <remarks>To fine-tune it again, set <c>requires_grad = true</c> on its parameters and call <c>train()</c>; the
    /// snapshot is retired by either.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static NeuralNetwork Freeze(NeuralNetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.eval();
        foreach (var parameter in model.parameters())
        {
            parameter.requires_grad = false;
        }
        return model;
    }

    /// <summary>Tells the packed path that the model's weights were changed in place behind its back, so a frozen
    /// model's snapshot is copied again on the next call.</summary>
    /// <param name="model">The model.</param>
    /// <remarks>Needed only for a model in eval mode whose parameters all have <c>requires_grad == false</c> and are
    /// written in place by something other than this library: TorchSharp's own <c>load_state_dict</c> or
    /// <c>load</c>, or <c>copy_</c>/<c>mul_</c>/... under <c>no_grad</c>. Training (which needs <c>requires_grad</c>
    /// or <c>train()</c>), <see cref="Persistence.Checkpoint.LoadCheckpoint"/> and replaced parameters are seen
    /// without it.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static void Refresh(NeuralNetwork model)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.InvalidatePackedWeights();
    }

    /// <summary>The path for a batch; <paramref name="packableInput"/> says whether the input is on the CPU.
    /// Resolves the packed path's pointers when it chooses that path.</summary>
    internal static InferencePath Choose(NeuralNetwork model, long batchSize, bool packableInput, InferenceOptions options, out MlpWeights weights)
    {
        weights = default;
        if (batchSize <= options.PackedMaxBatchSize)
        {
            return packableInput && PackedWeights.TryGet(model, PackedWeights.Helps(batchSize), out weights, out _) ? InferencePath.Packed : InferencePath.LibTorch;
        }
        if (options.Precision == InferencePrecision.BFloat16)
        {
            RequireBFloat16(model);
            return InferencePath.LibTorchBFloat16;
        }
        return InferencePath.LibTorch;
    }

    internal static void RequireBFloat16(NeuralNetwork model)
    {
        var device = model.Stack.parameters().First().device_type;
        if (device != DeviceType.CPU)
        {
            throw new NotSupportedException($"InferencePrecision.BFloat16 runs on the CPU only; this model is on {device}. Use InferencePrecision.Float32.");
        }
        if (!CpuFeatures.HasAvx512BFloat16)
        {
            throw new NotSupportedException(
                "InferencePrecision.BFloat16 needs a CPU with AVX512_BF16 (e.g. AMD Zen 4/5, Intel Cooper Lake or Sapphire Rapids and later); " +
                "this CPU has none, and libtorch's emulation would be slower than float32. Use InferencePrecision.Float32.");
        }
    }

    /// <summary>Runs the packed path for images already checked (count and finiteness) and returns the predictions.</summary>
    internal static ClassPrediction[] PredictChecked(in MlpWeights weights, ReadOnlySpan<float> images, int n)
    {
        var logits = new float[n * NeuralNetwork.OutputFeatures];
        fixed (float* x = images, y = logits)
        {
            MlpForwardJob.ForThisThread.Forward(weights, x, n, y);
        }
        return PredictionResults.FromLogits(logits, n);
    }

    /// <summary>The number of NaN or infinite values.</summary>
    internal static long CountNonFinite(ReadOnlySpan<float> values)
    {
        // x - x is 0 for finite x and NaN for NaN or +-infinity: one vectorised pass (four independent sums, so it runs
        // at the memory's speed, not the adder's latency), then a count only if needed.
        var i = 0;
        var bad = false;
        fixed (float* p = values)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (; i + 64 <= values.Length; i += 64)
                {
                    var v0 = Vector512.Load(p + i);
                    var v1 = Vector512.Load(p + i + 16);
                    var v2 = Vector512.Load(p + i + 32);
                    var v3 = Vector512.Load(p + i + 48);
                    a0 += v0 - v0;
                    a1 += v1 - v1;
                    a2 += v2 - v2;
                    a3 += v3 - v3;
                }
                bad = !Vector512.EqualsAll(a0 + a1 + a2 + a3, Vector512<float>.Zero);
            }
            else
            {
                Vector256<float> a0 = default, a1 = default;
                for (; i + 16 <= values.Length; i += 16)
                {
                    var v0 = Vector256.Load(p + i);
                    var v1 = Vector256.Load(p + i + 8);
                    a0 += v0 - v0;
                    a1 += v1 - v1;
                }
                bad = !Vector256.EqualsAll(a0 + a1, Vector256<float>.Zero);
            }
        }
        for (; i < values.Length; i++)
        {
            bad |= !float.IsFinite(values[i]);
        }
        if (!bad)
        {
            return 0;
        }
        long count = 0;
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>The number of NaN or infinite bfloat16 values (given as their bits): exponent all ones.</summary>
    /// <remarks>A finite float32 value beyond bfloat16's largest (about 3.39e38) has become infinite by then, and is
    /// counted: such a pixel cannot be computed in bfloat16.</remarks>
    internal static long CountNonFiniteBFloat16(ReadOnlySpan<ushort> bits)
    {
        const ushort exponent = 0x7F80;
        var i = 0;
        var bad = false;
        fixed (ushort* p = bits)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                var mask = Vector512.Create(exponent);
                Vector512<ushort> a0 = default, a1 = default;
                for (; i + 64 <= bits.Length; i += 64)
                {
                    a0 = Vector512.Max(a0, Vector512.Load(p + i) & mask);
                    a1 = Vector512.Max(a1, Vector512.Load(p + i + 32) & mask);
                }
                bad = Vector512.EqualsAny(Vector512.Max(a0, a1), mask);
            }
        }
        for (; i < bits.Length; i++)
        {
            bad |= (bits[i] & exponent) == exponent;
        }
        if (!bad)
        {
            return 0;
        }
        long count = 0;
        foreach (var b in bits)
        {
            if ((b & exponent) == exponent)
            {
                count++;
            }
        }
        return count;
    }

    internal static ArgumentException NonFinite(long count, string paramName) =>
        new($"Expected finite pixel values; found {count} NaN or infinite value(s) in the input.", paramName);

    private static int Prepare(NeuralNetwork model, ReadOnlySpan<float> images, int outputLength, string outputName, out MlpWeights weights)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (images.Length % NeuralNetwork.InputFeatures != 0)
        {
            throw new ArgumentException(
                $"Expected N images of {NeuralNetwork.InputFeatures} values each; found {images.Length} values.", nameof(images));
        }
        var n = images.Length / NeuralNetwork.InputFeatures;
        if (outputLength != n * NeuralNetwork.OutputFeatures)
        {
            throw new ArgumentException(
                $"Expected {n * NeuralNetwork.OutputFeatures} values for {n} images; found a buffer of {outputLength}.", outputName);
        }
        var nonFinite = CountNonFinite(images);
        if (nonFinite > 0)
        {
            throw NonFinite(nonFinite, nameof(images));
        }
        if (!PackedWeights.TryGet(model, PackedWeights.Helps(n), out weights, out var reason))
        {
            throw new NotSupportedException($"The packed path cannot run this model: {reason}.");
        }
        return n;
    }
}
