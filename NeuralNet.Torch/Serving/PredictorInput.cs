
namespace NeuralNet.Torch.Serving;

/// <summary>What one request of a <see cref="Predictor"/> must be: the sample's shape, its element type and its
/// flattened length; checks a request on the caller's thread with messages that name both counts.</summary>
internal sealed class PredictorInput
{
    private readonly bool _pixels;

    /// <summary>The input of <paramref name="shape"/> and <paramref name="elementType"/>;
    /// <paramref name="documentModel"/> words the messages for the document's 28 x 28 images.</summary>
    public PredictorInput(IReadOnlyList<long> shape, InputElementType elementType, bool documentModel)
    {
        Shape = shape.ToArray();
        ElementType = elementType;
        Length = checked((int)Shape.Aggregate(1L, (product, d) => product * d));
        _pixels = documentModel && Shape.Length == 1 && Length == NeuralNetwork.InputFeatures;
        Description = _pixels ? "28 x 28 pixels, row by row" : $"one sample of shape {ShapeText.Of(Shape)}, flattened";
    }

    /// <summary>One sample's shape.</summary>
    public long[] Shape { get; }

    /// <summary>The element type.</summary>
    public InputElementType ElementType { get; }

    /// <summary>Values per request: the product of <see cref="Shape"/>.</summary>
    public int Length { get; }

    /// <summary>What a request holds, for messages: <c>28 x 28 pixels, row by row</c> or
    /// <c>one sample of shape [1, 28, 28], flattened</c>.</summary>
    public string Description { get; }

    /// <summary>Refuses float32 values where the model takes token ids.</summary>
    public void RequireFloat32()
    {
        if (ElementType != InputElementType.Float32)
        {
            throw new ArgumentException(
                "This predictor's model takes int64 token ids (InputElementType Int64); pass them as long[] " +
                "(PredictAsync(long[] tokens)), not float32 values.", "values");
        }
    }

    /// <summary>Refuses token ids where the model takes float32 values.</summary>
    public void RequireInt64()
    {
        if (ElementType != InputElementType.Int64)
        {
            throw new ArgumentException(
                "This predictor's model takes float32 values (InputElementType Float32); pass them as float[] " +
                "(PredictAsync(float[] pixels)), not int64 token ids.", "tokens");
        }
    }

    /// <summary>Checks one sample of a request: its length, and for float32 values that they are finite.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="long"/> (the caller has checked which the input takes).</typeparam>
    /// <exception cref="ArgumentNullException">The sample is null.</exception>
    /// <exception cref="ArgumentException">Its length is not <see cref="Length"/>, or a float value is NaN or infinite.</exception>
    public void Check<T>(T[] sample, int? index) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Check((float[])(object)sample, index);
        }
        else
        {
            Check((long[])(object)sample, index);
        }
    }

    /// <summary>Checks one float32 sample: not null, <see cref="Length"/> values, all finite.</summary>
    private void Check(float[] sample, int? index)
    {
        var which = index is null ? "The image" : $"Image {index}";
        CheckLength(sample, sample?.Length ?? 0, which, "pixels");
        var bad = Array.FindIndex(sample!, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new ArgumentException(_pixels
                ? $"{which} has a non-finite value ({sample![bad]}) at pixel {bad}; expected finite values in [0, 1]."
                : $"{which} has a non-finite value ({sample![bad]}) at index {bad}; expected finite values.", "pixels");
        }
    }

    /// <summary>Checks one sample of token ids: not null, <see cref="Length"/> values.</summary>
    private void Check(long[] sample, int? index) =>
        CheckLength(sample, sample?.Length ?? 0, index is null ? "The token sequence" : $"Sequence {index}", "tokens");

    private void CheckLength(object? sample, int length, string which, string paramName)
    {
        if (sample is null)
        {
            throw new ArgumentNullException(paramName, $"{which} is null.");
        }
        if (length != Length)
        {
            throw new ArgumentException($"{which} has {length} values; expected {Length} ({Description}).", paramName);
        }
    }
}
