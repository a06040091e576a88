namespace NeuralNet.Torch.Inference;

/// <summary>Work that <see cref="HelperThread"/> splits between the calling thread and its helper: phases run in
/// order, and the chunks of one phase are independent of each other.</summary>
internal abstract class PhasedJob
{
    /// <summary>The number of phases (at most <see cref="HelperThread.MaxPhases"/>).</summary>
    public abstract int Phases { get; }

    /// <summary>The number of chunks of <paramref name="phase"/>.</summary>
    public abstract int Chunks(int phase);

    /// <summary>Runs one chunk. Must not throw: it may run on the helper thread.</summary>
    public abstract void RunChunk(int phase, int chunk);
}
