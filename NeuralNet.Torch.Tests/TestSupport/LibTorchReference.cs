using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.TestSupport;

/// <summary>The expected side of the prediction tests, computed by libtorch alone: <c>softmax(model(x), 1)</c> and its
/// <c>argmax(1)</c> under <c>no_grad</c> in eval mode (the model's root mode restored), floating-point input in the
/// dtype and on the device of the model's first parameter.</summary>
internal static class LibTorchReference
{
    public static (float[] Probabilities, long[] Classes) Predict(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var training = model.training;
        model.eval();
        try
        {
            var probabilities = nn.functional.softmax(model.call(Like(model, x)), 1).to(ScalarType.Float32, CPU);
            return (probabilities.data<float>().ToArray(), probabilities.argmax(1).data<long>().ToArray());
        }
        finally
        {
            model.train(training);
        }
    }

    /// <summary>The logits <c>model(x)</c>, by libtorch, on the CPU.</summary>
    public static float[] Logits(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.call(Like(model, x)).to(ScalarType.Float32, CPU).data<float>().ToArray();
    }

    private static Tensor Like(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        var reference = model.parameters().FirstOrDefault();
        return reference is null ? x : x.is_floating_point() ? x.to(reference.dtype, reference.device) : x.to(reference.device);
    }

    /// <summary>Asserts the same classes and every probability within <paramref name="tolerance"/>.</summary>
    public static void ShouldMatch(IReadOnlyList<ClassPrediction> actual, (float[] Probabilities, long[] Classes) expected, float tolerance)
    {
        actual.Should().HaveCount(expected.Classes.Length);
        var width = expected.Probabilities.Length / expected.Classes.Length;
        for (var i = 0; i < actual.Count; i++)
        {
            actual[i].Class.Should().Be((int)expected.Classes[i], $"sample {i}");
            actual[i].Probabilities.Should().HaveCount(width);
            for (var k = 0; k < width; k++)
            {
                actual[i].Probabilities[k].Should().BeApproximately(expected.Probabilities[i * width + k], tolerance, $"sample {i}, class {k}");
            }
        }
    }

    /// <summary>Asserts two prediction lists are identical bit for bit (classes and probabilities).</summary>
    public static void ShouldBeIdentical(IReadOnlyList<ClassPrediction> actual, IReadOnlyList<ClassPrediction> expected)
    {
        actual.Select(p => p.Class).Should().Equal(expected.Select(p => p.Class));
        actual.SelectMany(p => p.Probabilities).Select(BitConverter.SingleToInt32Bits)
            .Should().Equal(expected.SelectMany(p => p.Probabilities).Select(BitConverter.SingleToInt32Bits));
    }
}
