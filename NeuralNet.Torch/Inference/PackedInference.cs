using NeuralNet.Torch.Native;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Inference;

/// <summary>
/// The fast small-batch float32 path for MLPs: managed SIMD kernels, register-blocked at every width (AVX-512, AVX2,
/// and the 128 bits of SSE and ARM64's NEON), for any model whose forward is the chain <c>[Flatten] Linear (ReLU Linear)* [ReLU]</c>
/// (any widths and depth), with each layer's output rows split across two cores, ReLU fused, and softmax + argmax at
/// the end; and <see cref="Freeze"/>, which makes a <see cref="FrozenModel"/>: an immutable copy of such a model with
/// the fastest layouts.
/// </summary>
/// <remarks>
/// <para><b>Which models.</b> The chain is recognised by structure, not by class: the modules a model's forward
/// applies are found through TorchSharp <c>Sequential</c>s and modules that implement <see cref="ISequentialModule"/>
/// (in their declared order; <see cref="NeuralNetwork"/> is one), so a plain <c>Sequential</c>, the document's model and
/// a user's own module all qualify. A module that declares <see cref="ISequentialModule"/> promises that its forward
/// applies those children in order and nothing else; <see cref="Freeze"/> checks that promise against the model's own
/// forward, <c>model.Predict</c> relies on it as it stands. Anything else (a convolution, a Dropout, a residual add)
/// runs libtorch.</para>
/// <para><b>Where the weights come from.</b> <see cref="PredictionExtensions.Predict(nn.Module{Tensor, Tensor}, Tensor, InferenceOptions?)"/>
/// reads the model's live parameters at every call (row-major <c>[out, in]</c>, 8 output rows per pass over the
/// input for one sample, 4 x 4 register blocks for batches): nothing is copied, so every change to the model is seen
/// at the next call. <see cref="Freeze"/> copies them once into a <see cref="FrozenModel"/> that owns them and adds
/// two layouts: one sample runs on the first two layers stored by columns, split in parts with no barrier between the
/// layers (inputs that are exactly zero skip their column, so an MNIST image, about 81% background, reads about a
/// quarter of the first layer's weights, and every sample skips the second layer's rows of the units ReLU zeroed);
/// batches of 2 and 3 run on the hidden layers' rows interleaved 8 at a time. benchmarks/README.md compares both with
/// libtorch and ONNX Runtime.</para>
/// <para><b>When it is used.</b> For batches of up to <see cref="InferenceOptions.PackedMaxBatchSize"/> samples
/// (default <see cref="DefaultMaxBatchSize"/>) when the chain's parameters are float32, contiguous and on the CPU and
/// the input is a floating-point CPU tensor of the chain's input width per sample (float64, float16, bfloat16 and
/// strided views are converted to contiguous float32 first, as the libtorch path converts them); libtorch runs
/// everything else (larger batches, CUDA, other dtypes).</para>
/// <para><b>Results</b> equal libtorch's float32 forward pass within float32 rounding (the sums run in another order):
/// tested within 1e-5 on several widths and depths, on random weights and on the real PyTorch checkpoints with MNIST
/// images. The class is the first index of the largest probability, as libtorch's argmax; two classes whose
/// probabilities tie within rounding may come out the other way round than libtorch's.</para>
/// <para><b>Threads.</b> One process-wide helper thread runs half of each batch's rows; after a batch it watches for
/// the next one for 200 us (spinning, then yielding its core to other runnable threads), then sleeps. Set the
/// environment variable <c>NEURALNET_PACKED_HELPER=0</c> to run on the calling thread only. A second thread predicting
/// at the same time computes alone on its own thread. Like libtorch's own forward pass, a live model must not be
/// changed by another thread during a call; a <see cref="FrozenModel"/> never changes.</para>
/// </remarks>
public static class PackedInference
{
    /// <summary>The default cut-over: batches up to this size run on the packed path, with a clear margin over
    /// libtorch's per-image time on the machine of the benchmark's <c>cutover</c> run (benchmarks/README.md). On other
    /// CPUs measure with that run and set <see cref="InferenceOptions.PackedMaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 256;

    private const string Chain = "[Flatten] Linear (ReLU Linear)* [ReLU]";

    /// <summary>The SIMD width the packed kernels use in this process, in bits: 512 with AVX-512, 256 with AVX2, 128
    /// with SSE or ARM64's NEON.</summary>
    /// <remarks>The runtime decides it once per process from the CPU and its switches: <c>DOTNET_EnableAVX512=0</c>
    /// narrows it to 256 and <c>DOTNET_EnableAVX2=0</c> to 128 on any x64 CPU (libtorch and ONNX Runtime are native
    /// code and keep the CPU's full width).</remarks>
    public static int VectorBits => DenseKernels.VectorBits;

    /// <summary>Whether the packed path can run this model now, on its live weights.</summary>
    /// <param name="model">The model.</param>
    /// <param name="reason">Why not (empty when it can), e.g. <c>'2' (TorchSharp.Modules.Conv2d) is not Flatten,
    /// Linear, ReLU, ...</c> or <c>the parameters are Float64, not Float32</c>.</param>
    /// <returns>True for a model whose forward is the chain <c>[Flatten] Linear (ReLU Linear)* [ReLU]</c> with float32,
    /// contiguous parameters on the CPU.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public static bool IsSupported(nn.Module<Tensor, Tensor> model, out string reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        return MlpChain.TryFind(model, out var chain, out reason) && MlpPlan.TryLive(chain, out _, out reason);
    }

    /// <summary>The implementation that <c>model.Predict</c> uses for a CPU input of <paramref name="batchSize"/>
    /// samples of the right shape.</summary>
    /// <param name="model">The model.</param>
    /// <param name="batchSize">The number of samples.</param>
    /// <param name="options">The options; null for <see cref="InferenceOptions.Default"/>.</param>
    /// <returns><see cref="InferencePath.Packed"/> up to <see cref="InferenceOptions.PackedMaxBatchSize"/> when
    /// <see cref="IsSupported"/>; above it <see cref="InferencePath.LibTorchBFloat16"/> when
    /// <see cref="InferenceOptions.Precision"/> asks for it; otherwise <see cref="InferencePath.LibTorch"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is negative.</exception>
    /// <exception cref="NotSupportedException">bfloat16 is asked for, but the model is not an MLP chain, not on the
    /// CPU, or the CPU has no AVX512_BF16.</exception>
    internal static InferencePath ChoosePath(this nn.Module<Tensor, Tensor> model, long batchSize, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        options ??= InferenceOptions.Default;
        var isChain = MlpChain.TryFind(model, out var chain);
        var packed = isChain && batchSize <= options.PackedMaxBatchSize && MlpPlan.TryLive(chain, out _, out _);
        return PathChoice.Choose(batchSize, options, isChain ? chain.Layers[0].weight.device_type : null, packed, model);
    }

    /// <summary>Freezes an MLP chain: copies its weights into a <see cref="FrozenModel"/> that owns them and predicts
    /// with them, on the packed path's fastest layouts (and libtorch for large batches or a model off the CPU).</summary>
    /// <param name="model">A model whose forward is the chain <c>[Flatten] Linear (ReLU Linear)* [ReLU]</c> (see the
    /// remarks of <see cref="PackedInference"/>), on any device, of any floating-point dtype. It is not changed: not
    /// its mode, not its <c>requires_grad</c>.</param>
    /// <returns>The frozen model; dispose it to free its copy of the weights.</returns>
    /// <remarks>The frozen model is a value taken now: later changes to <paramref name="model"/> (training,
    /// <c>LoadCheckpoint</c>, <c>load_state_dict</c>, <c>copy_</c>, replaced parameters, <c>to()</c>, disposing it)
    /// do not reach it, so it can never compute with half-old weights; freeze again to serve new weights. Before it
    /// returns, the copy is checked against the model's own forward on a random batch of two samples (eval mode, no
    /// autograd, modes restored, the global random generator untouched).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="NotSupportedException">The model is not such a chain (the message says which module is not),
    /// its layers differ in dtype or device or do not chain, or its forward gives other results than the chain of its
    /// modules (an <see cref="ISequentialModule"/> declaration that is not true).</exception>
    public static FrozenModel Freeze(this nn.Module<Tensor, Tensor> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureInitialized();
        if (!MlpChain.TryFind(model, out var chain, out var reason))
        {
            throw new NotSupportedException(
                $"Freeze takes a model whose forward is the chain {Chain}; {reason}. Other models predict with model.Predict, which runs libtorch on their live weights.");
        }
        return new FrozenModel(model, chain);
    }
}
