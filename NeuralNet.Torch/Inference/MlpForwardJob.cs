namespace NeuralNet.Torch.Inference;

/// <summary>
/// One forward pass of the MLP over a batch, in two phases split by output rows: Linear(784, 512) + ReLU, then
/// Linear(512, 512) + ReLU. The last Linear(512, 10) (and the documented variant's ReLU) is so small that the caller
/// runs it alone afterwards. One instance per calling thread, with scratch buffers on the pinned heap that only grow:
/// no allocation in steady state.
/// </summary>
internal sealed unsafe class MlpForwardJob : PhasedJob
{
    /// <summary>Output rows per chunk: 16 chunks per hidden layer, 8 for each core.</summary>
    private const int ChunkRows = 32;

    [ThreadStatic]
    private static MlpForwardJob? _current;

    private float[] _hidden1 = [];
    private float[] _hidden2 = [];
    private MlpWeights _weights;
    private float* _x;
    private float* _h1;
    private float* _h2;
    private int _n;

    /// <summary>The calling thread's job.</summary>
    public static MlpForwardJob ForThisThread => _current ??= new MlpForwardJob();

    public override int Phases => 2;

    public override int Chunks(int phase) => NeuralNetwork.HiddenFeatures / ChunkRows;

    /// <summary>Computes the logits <c>[n, 10]</c> of <c>n</c> images <c>[n, 784]</c>.</summary>
    public void Forward(in MlpWeights weights, float* x, int n, float* logits)
    {
        if (n == 1 && weights.Snapshot is { W0Columns: not null } snapshot)
        {
            SingleImageJob.ForThisThread.Forward(snapshot, x, logits);
            return;
        }
        var size = n * NeuralNetwork.HiddenFeatures;
        if (_hidden1.Length < size)
        {
            _hidden1 = GC.AllocateUninitializedArray<float>(size, pinned: true);
            _hidden2 = GC.AllocateUninitializedArray<float>(size, pinned: true);
        }
        fixed (float* h1 = _hidden1, h2 = _hidden2)
        {
            _weights = weights;
            _x = x;
            _h1 = h1;
            _h2 = h2;
            _n = n;
            try
            {
                HelperThread.Run(this);
                DenseKernels.Dense(weights.W2, weights.B2, NeuralNetwork.HiddenFeatures, h2, NeuralNetwork.HiddenFeatures,
                    logits, NeuralNetwork.OutputFeatures, n, 0, NeuralNetwork.OutputFeatures, weights.FinalRelu);
            }
            finally
            {
                _x = _h1 = _h2 = null;
                _weights = default;
            }
        }
    }

    public override void RunChunk(int phase, int chunk)
    {
        var r0 = chunk * ChunkRows;
        if (_weights.Interleaved)
        {
            if (phase == 0)
            {
                DenseKernels.DenseInterleaved(_weights.W0, _weights.B0, NeuralNetwork.InputFeatures, _x, NeuralNetwork.InputFeatures,
                    _h1, NeuralNetwork.HiddenFeatures, _n, r0, r0 + ChunkRows, relu: true);
            }
            else
            {
                DenseKernels.DenseInterleaved(_weights.W1, _weights.B1, NeuralNetwork.HiddenFeatures, _h1, NeuralNetwork.HiddenFeatures,
                    _h2, NeuralNetwork.HiddenFeatures, _n, r0, r0 + ChunkRows, relu: true);
            }
            return;
        }
        if (phase == 0)
        {
            DenseKernels.Dense(_weights.W0, _weights.B0, NeuralNetwork.InputFeatures, _x, NeuralNetwork.InputFeatures,
                _h1, NeuralNetwork.HiddenFeatures, _n, r0, r0 + ChunkRows, relu: true);
        }
        else
        {
            DenseKernels.Dense(_weights.W1, _weights.B1, NeuralNetwork.HiddenFeatures, _h1, NeuralNetwork.HiddenFeatures,
                _h2, NeuralNetwork.HiddenFeatures, _n, r0, r0 + ChunkRows, relu: true);
        }
    }
}
