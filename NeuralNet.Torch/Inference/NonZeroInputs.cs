namespace NeuralNet.Torch.Inference;

/// <summary>Where one sample's non-zero inputs are: <see cref="Count"/> ascending positions, the first
/// <see cref="Split"/> of them below half the inputs. The first layer's columns of the other inputs add exactly
/// nothing, so <see cref="ColumnBlocks{TOps, TVec}"/> reads only these.</summary>
internal readonly unsafe struct NonZeroInputs(int* positions, int count, int split)
{
    public int* Positions { get; } = positions;

    public int Count { get; } = count;

    public int Split { get; } = split;
}
