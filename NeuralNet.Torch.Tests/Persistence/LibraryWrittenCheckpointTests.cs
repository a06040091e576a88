using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Every <c>.pth</c> the library writes, of both NeuralNetwork variants and every zoo model, is read by torch
/// as a PyTorch user reads it (<c>checkpoint_read_back.py</c>: <c>torch.load(path, weights_only=True)</c>, then
/// <c>load_state_dict(strict=True)</c>): torch gets the model's exact bits, buffers included, and computes the C#
/// model's output.</summary>
[Category(PyTorchOracle.Category)]
public sealed class LibraryWrittenCheckpointTests
{
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _models = [];
    private TempFolder _folder = null!;
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void SaveEveryModelAndLetTorchReadThem()
    {
        PyTorchOracle.RequireTorch();
        _folder = new TempFolder();
        foreach (var name in ZooModels.Names)
        {
            manual_seed(40 + _models.Count);
            var model = ZooModels.Create(name);
            MoveBatchNormStatistics(model, name);
            model.eval();
            model.SaveCheckpoint(_folder.File($"{name}.pth"));
            _models[name] = model;
        }
        _torch = PyTorchOracle.Run("checkpoint_read_back.py", [_folder.Path, .. ZooModels.Names]);
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        foreach (var model in _models.Values)
        {
            model.Dispose();
        }
        _torch?.Dispose();
        _folder?.Dispose();
    }

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.Cases))]
    public void SaveCheckpoint_TorchLoadWeightsOnly_GetsEveryTensorBitExactAndLoadsStrictly(string name)
    {
        _torch.Text($"{name}.result").Should().Be("<All keys matched successfully>");
        // torch.load gives plain tensors with the model's dtypes and shapes, in the file's order.
        var types = _torch.Json($"{name}.types").EnumerateArray()
            .Select(e => $"{e[0].GetString()} {e[1].GetString()} {e[2].GetString()} [{string.Join(", ", e[3].EnumerateArray().Select(d => d.GetInt64()))}]")
            .ToList();
        var expected = _models[name].state_dict()
            .Select(kv => $"{kv.Key} Tensor {kv.Value.dtype.ToString().ToLowerInvariant()} [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        OracleAssert.SameSequence(types, expected, $"{name}: what torch.load returned");
        OracleStateAssert.SameTensors(_models[name].state_dict(), _torch, $"{name}.state", name);
    }

    [TestCaseSource(typeof(ZooModels), nameof(ZooModels.Cases))]
    public void SaveCheckpoint_ModelTorchLoaded_ComputesTheCSharpModelsOutput(string name)
    {
        var model = _models[name];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var output = model.call(_torch.Array($"{name}.input").ToTensor());

        // The same weights in both: only the order of float32 sums differs (MKL against torch's generic BLAS).
        OracleAssert.Close(output.data<float>().ToArray(), _torch.Array($"{name}.output").ToFloat32(), 1e-5, $"{name} output");
    }

    [Test]
    public void SaveCheckpoint_BatchNormModels_WriteMovedRunningStatisticsAndTheirInt64Counter()
    {
        using var scope = NewDisposeScope();
        foreach (var name in new[] { "batchnorm_cnn", "residual" })
        {
            var state = _models[name].state_dict();
            var counters = state.Where(kv => kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList();
            counters.Should().NotBeEmpty();
            counters.Should().OnlyContain(kv => kv.Value.dtype == ScalarType.Int64 && kv.Value.shape.Length == 0);
            // The file's statistics are not the initial ones (mean 0, var 1), so loading them is really tested.
            state.Where(kv => kv.Key.EndsWith("running_mean", StringComparison.Ordinal))
                .Should().OnlyContain(kv => kv.Value.abs().max().item<float>() > 1e-3f);
        }
    }

    // A few training-mode passes, as zoo.build does in torch, so the running statistics are not their initial values.
    private static void MoveBatchNormStatistics(nn.Module<Tensor, Tensor> model, string name)
    {
        if (name is not ("batchnorm_cnn" or "residual"))
        {
            return;
        }
        model.train();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var i = 0; i < 3; i++)
        {
            model.call(rand(8, 1, 28, 28) * 2 - 0.5);
        }
    }
}
