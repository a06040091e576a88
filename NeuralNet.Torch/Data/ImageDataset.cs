using NeuralNet.Torch.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Data;

/// <summary>
/// Labelled images held as two CPU tensors, like torchvision's MNIST datasets after <c>ToTensor()</c>: images
/// float32 <c>[N, 1, H, W]</c> with pixels scaled to <c>[0, 1]</c> (<c>x / 255</c>), labels int64 <c>[N]</c>.
/// </summary>
/// <remarks>
/// <para>The whole set lives in one tensor, so batching (<see cref="BatchLoader"/>) takes views or
/// <c>index_select</c>s of it and never copies the set. Memory: <c>N * H * W * 4</c> bytes of images (188 MB for
/// 60,000 28x28 images) plus <c>8 * N</c> bytes of labels.</para>
/// <para>The dataset owns its tensors: dispose it to free them. It is read-only by contract (nothing here writes
/// to the tensors); it is safe to read from several threads.</para>
/// </remarks>
public sealed class ImageDataset : IDataset, IDisposable
{
    private readonly Tensor _images;
    private readonly Tensor _labels;

    /// <summary>Wraps existing tensors (for data made in code). The dataset takes its own reference to each tensor's
    /// storage (no copy); the caller still owns and disposes the tensors it passed.</summary>
    /// <param name="images">float32 <c>[N, C, H, W]</c> on the CPU (pixels in <c>[0, 1]</c> by convention; not checked).</param>
    /// <param name="labels">int64 <c>[N]</c> on the CPU, each in <c>0 .. classNames.Count - 1</c>.</param>
    /// <param name="classNames">The name of each class, by label.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">A dtype, shape or device is not as described, the two tensors disagree on
    /// N, <paramref name="classNames"/> is empty, or a label is outside the class range.</exception>
    public ImageDataset(Tensor images, Tensor labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        TorchRuntime.EnsureInitialized();
        if (images.dtype != ScalarType.Float32 || images.dim() != 4 || images.device_type != DeviceType.CPU)
        {
            throw new ArgumentException(
                $"Expected images as a float32 CPU tensor [N, C, H, W]; found {images.dtype} {ShapeText.Of(images.shape)} on {images.device}.",
                nameof(images));
        }
        if (labels.dtype != ScalarType.Int64 || labels.dim() != 1 || labels.device_type != DeviceType.CPU)
        {
            throw new ArgumentException(
                $"Expected labels as an int64 CPU tensor [N]; found {labels.dtype} {ShapeText.Of(labels.shape)} on {labels.device}.",
                nameof(labels));
        }
        if (labels.shape[0] != images.shape[0])
        {
            throw new ArgumentException($"Expected one label per image; found {images.shape[0]} images and {labels.shape[0]} labels.", nameof(labels));
        }
        if (classNames.Count == 0)
        {
            throw new ArgumentException("Expected at least one class name.", nameof(classNames));
        }
        if (labels.shape[0] > 0)
        {
            using var scope = NewDisposeScope();
            var min = labels.min().item<long>();
            var max = labels.max().item<long>();
            if (min < 0 || max >= classNames.Count)
            {
                throw new ArgumentException(
                    $"Expected labels in 0..{classNames.Count - 1} ({classNames.Count} classes); found labels from {min} to {max}.", nameof(labels));
            }
        }
        _images = images.alias().DetachFromDisposeScope();
        _labels = labels.alias().DetachFromDisposeScope();
        ClassNames = classNames.ToArray();
    }

    // Takes ownership of tensors this class made (no alias).
    private ImageDataset(Tensor ownedImages, Tensor ownedLabels, string[] classNames, bool owned)
    {
        System.Diagnostics.Debug.Assert(owned);
        _images = ownedImages.DetachFromDisposeScope();
        _labels = ownedLabels.DetachFromDisposeScope();
        ClassNames = classNames;
    }

    /// <summary>The images: float32 <c>[N, C, H, W]</c> on the CPU, pixels in <c>[0, 1]</c>. Owned by the dataset:
    /// do not dispose it.</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public Tensor Images => IsDisposed ? throw new ObjectDisposedException(nameof(ImageDataset)) : _images;

    /// <summary>The images (<see cref="Images"/>), as <see cref="IDataset"/> calls them.</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    Tensor IDataset.Inputs => Images;

    /// <summary>The labels: int64 <c>[N]</c> on the CPU. Owned by the dataset: do not dispose it.</summary>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public Tensor Labels => IsDisposed ? throw new ObjectDisposedException(nameof(ImageDataset)) : _labels;

    /// <summary>The name of each class, indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of samples, N (Python's <c>len(dataset)</c>).</summary>
    public long Count => Labels.shape[0];

    /// <summary>True once <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Reads an images file and a labels file in IDX format (raw or gzip) and scales the pixels to
    /// <c>[0, 1]</c>.</summary>
    /// <param name="imagesPath">An IDX images file (<c>*-images-idx3-ubyte[.gz]</c>).</param>
    /// <param name="labelsPath">An IDX labels file (<c>*-labels-idx1-ubyte[.gz]</c>) with one label per image.</param>
    /// <param name="classNames">The name of each class, by label.</param>
    /// <returns>The dataset, images <c>[N, 1, rows, columns]</c>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="classNames"/> is empty.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="IdxFormatException">A file is not valid IDX (the magic number, each size and the byte count are
    /// checked; gzip is recognised by its magic bytes, whatever the name), the two files
    /// hold different numbers of samples, or a label is not below the number of classes; the message names the file.</exception>
    public static ImageDataset FromIdxFiles(string imagesPath, string labelsPath, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
        {
            throw new ArgumentException("Expected at least one class name.", nameof(classNames));
        }
        var images = IdxReader.ReadImages(imagesPath);
        var labels = IdxReader.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
        {
            throw new IdxFormatException(labelsPath,
                $"Image/label counts differ: '{imagesPath}' holds {images.Count} images but '{labelsPath}' holds {labels.Length} labels.");
        }
        for (var i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classNames.Count)
            {
                throw new IdxFormatException(labelsPath,
                    $"Invalid IDX file '{labelsPath}': label {labels[i]} at index {i} is not a class (expected 0..{classNames.Count - 1}).");
            }
        }
        return FromIdx(images, labels, classNames);
    }

    /// <summary>Builds a dataset from IDX content already read (pixels are scaled by 1/255 in libtorch, as
    /// torchvision's <c>ToTensor</c> does).</summary>
    internal static ImageDataset FromIdx(IdxImages images, byte[] labels, IReadOnlyList<string> classNames)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var pixels = torch.tensor(images.Pixels, [images.Count, 1, images.Rows, images.Columns], ScalarType.Float32).div_(255);
        var labelTensor = torch.tensor(labels, [labels.Length], ScalarType.Int64);
        return new ImageDataset(pixels, labelTensor, classNames.ToArray(), owned: true);
    }

    /// <summary>One image, as the model takes a batch of one.</summary>
    /// <param name="index">0 .. <see cref="Count"/> - 1.</param>
    /// <returns>A new tensor <c>[1, C, H, W]</c> (a view of the dataset's storage; the caller disposes it).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the dataset.</exception>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public Tensor GetImage(long index)
    {
        CheckIndex(index);
        return Images.narrow(0, index, 1);
    }

    /// <summary>One label.</summary>
    /// <param name="index">0 .. <see cref="Count"/> - 1.</param>
    /// <returns>The label, 0 .. <c>ClassNames.Count - 1</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the dataset.</exception>
    /// <exception cref="ObjectDisposedException">The dataset was disposed.</exception>
    public int GetLabel(long index)
    {
        CheckIndex(index);
        using var label = Labels[index];
        return (int)label.item<long>();
    }

    /// <summary>Frees the tensors. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (!IsDisposed)
        {
            IsDisposed = true;
            _images.Dispose();
            _labels.Dispose();
        }
    }

    private void CheckIndex(long index)
    {
        var count = Count;
        if (index < 0 || index >= count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Expected an index in 0..{count - 1}.");
        }
    }
}
