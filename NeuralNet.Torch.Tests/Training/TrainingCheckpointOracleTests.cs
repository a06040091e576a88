using NeuralNet.Torch.Data;
using NeuralNet.Torch.Tests.Oracle;
using NeuralNet.Torch.Tests.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using NeuralNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Training;

/// <summary>The model file <see cref="Trainer.Fit"/> writes into <see cref="TrainingOptions.CheckpointDirectory"/> is
/// what a PyTorch user reads: <c>torch.load(path, weights_only=True)</c> then <c>load_state_dict(strict=True)</c> into
/// zoo.py's BatchNormCnn (checkpoint_read_back.py), every tensor bit-exact, running statistics included.</summary>
[Category(PyTorchOracle.Category)]
public sealed class TrainingCheckpointOracleTests
{
    private TempFolder _folder = null!;
    private BatchNormCnn _model = null!;
    private OracleRun _torch = null!;

    [OneTimeSetUp]
    public void TrainThenRunTorch()
    {
        PyTorchOracle.RequireTorch();
        _folder = new TempFolder();
        torch.manual_seed(12);
        _model = new BatchNormCnn();
        using var images = torch.rand(64, 1, 28, 28);
        using var labels = torch.randint(0, 10, [64]);
        using var data = new TensorDataset(images, labels);
        var directory = Path.Combine(_folder.Path, "checkpoints");
        Trainer.Fit(_model, data, data, new TrainingOptions
        {
            Epochs = 2, BatchSize = 16, CheckpointDirectory = directory, Optimizer = p => optim.AdamW(p, 1e-3),
        });
        File.Copy(TrainingCheckpoint.TryRead(directory)!.ModelPath, _folder.File("batchnorm_cnn.pth"));
        _torch = PyTorchOracle.Run("checkpoint_read_back.py", _folder.Path, "batchnorm_cnn");
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        _torch?.Dispose();
        _model?.Dispose();
        _folder?.Dispose();
    }

    [Test]
    public void CheckpointDirectory_ModelFile_TorchLoadsItStrictlyWithEveryTensorBitExact()
    {
        _torch.Text("batchnorm_cnn.result").Should().Be("<All keys matched successfully>");
        OracleStateAssert.SameTensors(_model.state_dict(), _torch, "batchnorm_cnn.state", "Fit's epoch-0002.pth");
    }
}
