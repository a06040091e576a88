namespace NeuralNet.Torch.Inference;

/// <summary>One Linear layer as the packed kernels read it: <c>y = act(x W^T + b)</c> with <c>W</c> row-major
/// <c>[Out, In]</c> and <c>b</c> <c>[Out]</c> (null: no bias), ReLU after it when <see cref="Relu"/>.</summary>
internal readonly unsafe struct DenseLayer
{
    public DenseLayer(float* weight, float* bias, int inFeatures, int outFeatures, bool relu)
    {
        Weight = weight;
        Bias = bias;
        In = inFeatures;
        Out = outFeatures;
        Relu = relu;
    }

    public float* Weight { get; }

    public float* Bias { get; }

    public int In { get; }

    public int Out { get; }

    public bool Relu { get; }

    /// <summary><see cref="In"/> rounded up to a multiple of 16: the width of the padded layouts.</summary>
    public int PaddedIn => Align16(In);

    /// <summary><see cref="Out"/> rounded up to a multiple of 16.</summary>
    public int PaddedOut => Align16(Out);

    public static int Align16(int n) => (n + 15) & ~15;
}
