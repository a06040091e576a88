namespace NeuralNet.Torch;

/// <summary>Which version of the PyTorch model <see cref="NeuralNetwork"/> builds. Both have the same parameter names
/// and shapes, so a state_dict of one loads into the other.</summary>
public enum NeuralNetworkVariant
{
    /// <summary>The seed document's model: <c>Linear(512, 10)</c> is followed by a final <c>ReLU()</c>, so every output
    /// is &gt;= 0 (eleven printed lines, <c>(5): ReLU()</c> included).</summary>
    Documented,

    /// <summary>The current PyTorch quickstart/buildmodel tutorial's model: the stack ends with <c>Linear(512, 10)</c>
    /// and no final ReLU. The real checkpoints trained by the tutorial are of this variant.</summary>
    Quickstart,
}
