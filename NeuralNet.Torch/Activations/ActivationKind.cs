namespace NeuralNet.Torch.Activations;

/// <summary>The activation functions this library names: the seed document's four, and softmax.</summary>
/// <remarks>
/// Use <see cref="Activation.Create"/> to build the module for a kind and <see cref="Activation.Parse"/> to read one
/// from settings text. The numeric values are not part of the contract: store names, not numbers.
/// </remarks>
public enum ActivationKind
{
    /// <summary>The binary step: 0 for x &lt; 0, 1 for x &gt;= 0 (<see cref="Activations.BinaryStep"/>,
    /// <see cref="Activation.BinaryStep"/>).</summary>
    BinaryStep,

    /// <summary>The logistic sigmoid 1 / (1 + e^-x) (<c>torch.nn.Sigmoid()</c>, <see cref="Activation.Sigmoid"/>).</summary>
    Sigmoid,

    /// <summary>The hyperbolic tangent (e^x - e^-x) / (e^x + e^-x) (<c>torch.nn.Tanh()</c>,
    /// <see cref="Activation.Tanh"/>).</summary>
    Tanh,

    /// <summary>The rectified linear unit: 0 for x &lt; 0, x otherwise (<c>torch.nn.ReLU()</c>,
    /// <see cref="Activation.ReLU"/>).</summary>
    ReLU,

    /// <summary>Softmax along one dimension: e^x_i / sum_j e^x_j (<c>torch.nn.Softmax(dim)</c>,
    /// <see cref="Activation.Softmax"/>). It normalises across several values, so it is a layer's activation, never
    /// a single neuron's.</summary>
    Softmax,
}
