namespace NeuralNet.Torch.Data;

/// <summary>The content of an IDX images file (magic <c>0x00000803</c>): <see cref="Count"/> images of
/// <see cref="Rows"/> x <see cref="Columns"/> unsigned bytes, row-major, image after image.</summary>
/// <param name="Count">Number of images (the first dimension of the header).</param>
/// <param name="Rows">Rows per image (28 for MNIST and FashionMNIST).</param>
/// <param name="Columns">Columns per image (28 for MNIST and FashionMNIST).</param>
/// <param name="Pixels">All pixels, <c>Count * Rows * Columns</c> bytes; 0 is background and 255 full intensity.</param>
internal sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);
