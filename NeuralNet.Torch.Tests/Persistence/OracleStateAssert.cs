using NeuralNet.Torch.Tests.Oracle;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Comparisons of a model's state and predictions with what torch wrote in an oracle run.</summary>
internal static class OracleStateAssert
{
    /// <summary>Every tensor of <paramref name="state"/> has the element type, shape and exact bits of torch's array
    /// <c>{prefix}.{key}</c>, and torch wrote no such array that <paramref name="state"/> lacks.</summary>
    public static void SameTensors(IReadOnlyDictionary<string, Tensor> state, OracleRun torch, string prefix, string what)
    {
        var expectedKeys = torch.ArrayNames.Where(n => n.StartsWith(prefix + ".", StringComparison.Ordinal))
            .Select(n => n[(prefix.Length + 1)..]).Order(StringComparer.Ordinal).ToList();
        OracleAssert.SameSequence(state.Keys.Order(StringComparer.Ordinal).ToList(), expectedKeys, $"{what}: keys");
        foreach (var (key, tensor) in state)
        {
            var expected = torch.Array($"{prefix}.{key}");
            tensor.dtype.Should().Be(expected.ScalarType, $"{what}: {key}'s element type");
            tensor.shape.Should().Equal(expected.Shape, $"{what}: {key}'s shape");
            using var cpu = tensor.detach().cpu().contiguous();
            OracleAssert.BitExact<byte>(cpu.bytes.ToArray(), expected.Bytes, $"{what}: {key}");
        }
    }

    /// <summary>On torch's input <c>{inputName}</c>, <paramref name="module"/> (in eval mode) predicts torch's classes
    /// <paramref name="classesName"/>, and, where given, torch's logits within 1e-5.</summary>
    public static void PredictsLikeTorch(nn.Module<Tensor, Tensor> module, OracleRun torch, string inputName, string? classesName, string? logitsName, string what)
    {
        module.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = torch.Array(inputName).ToTensor();
        var logits = module.call(input);
        if (logitsName is not null)
        {
            // float32 sums of up to 784 terms in another order (MKL against torch's generic BLAS): 1e-5 of outputs of order 1.
            OracleAssert.Close(logits.data<float>().ToArray(), torch.Array(logitsName).ToFloat32(), 1e-5, $"{what}: logits");
        }
        if (classesName is not null)
        {
            OracleAssert.SameSequence(logits.argmax(1).data<long>().ToArray(), torch.Array(classesName).ToInt64(), $"{what}: classes");
        }
    }
}
