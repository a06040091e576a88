namespace NeuralNet.Torch.Data;

/// <summary>Which part of an MNIST-style dataset to load (torchvision's <c>train=True</c> / <c>train=False</c>).</summary>
public enum DatasetSplit
{
    /// <summary>The training set: <c>train-images-idx3-ubyte</c> and <c>train-labels-idx1-ubyte</c> (60,000 samples
    /// for MNIST and FashionMNIST).</summary>
    Train,

    /// <summary>The test set: <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c> (10,000 samples).</summary>
    Test,
}
