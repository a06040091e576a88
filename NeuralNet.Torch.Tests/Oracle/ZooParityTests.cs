using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.Zoo;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Oracle;

/// <summary>The zoo is the same in both languages: every model's state_dict (names, dtypes, shapes) equals torch's,
/// and with torch's weights loaded it computes torch's output on torch's input. Every other oracle test relies on it.</summary>
[Category(PyTorchOracle.Category)]
public sealed class ZooParityTests
{
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void RunTorch() => _torch = PyTorchOracle.Run("zoo_parity.py");

    [OneTimeTearDown]
    public void Cleanup() => _torch?.Dispose();

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.Cases))]
    public void StateDict_EveryZooModel_HasTorchsNamesDtypesAndShapes(string name)
    {
        using var model = ZooModels.Create(name);

        // As a set: TorchSharp's state_dict() lists every parameter before every buffer; PyTorch's order is the
        // inspection concern's (StateDictReport) and is checked there.
        var expected = _torch.Json($"{name}.keys").EnumerateArray()
            .Select(e => $"{e.GetProperty("name").GetString()} {e.GetProperty("dtype").GetString()} [{string.Join(", ", e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))}]")
            .Order(StringComparer.Ordinal).ToList();
        var actual = model.state_dict()
            .Select(kv => $"{kv.Key} {kv.Value.dtype.ToString().ToLowerInvariant()} [{string.Join(", ", kv.Value.shape)}]")
            .Order(StringComparer.Ordinal).ToList();

        OracleAssert.SameSequence(actual, expected, $"{name} state_dict");
    }

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.Cases))]
    public void Forward_TorchsWeightsAndInput_GivesTorchsOutput(string name)
    {
        using var model = ZooModels.Create(name);
        model.LoadCheckpoint(_torch.File($"{name}.pth"));
        model.eval();
        using var input = _torch.Array($"{name}.input").ToTensor();
        var expected = _torch.Array($"{name}.output");

        using var noGrad = no_grad();
        using var output = model.call(input);

        output.shape.Should().Equal(expected.Shape);
        // float32 sums of up to 784 terms in another order (MKL against torch's generic BLAS): 1e-5 of outputs of order 1.
        OracleAssert.Close(output.data<float>().ToArray(), expected.ToFloat32(), 1e-5, $"{name} output");
    }
}
