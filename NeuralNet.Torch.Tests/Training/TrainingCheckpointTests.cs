using NeuralNet.Torch.Data;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using NeuralNet.Torch.Tests.Zoo;
using NeuralNet.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Training;

/// <summary><see cref="TrainingOptions.CheckpointDirectory"/> and <c>Fit(..., resume: true)</c>: per-epoch files,
/// atomic under an injected failure, and a resumed run bit-identical to an uninterrupted one.</summary>
public sealed class TrainingCheckpointTests
{
    private TensorDataset _train = null!;
    private TensorDataset _test = null!;
    private TempFolder _folder = null!;

    [SetUp]
    public void CreateData()
    {
        _folder = new TempFolder();
        using var generator = new Generator(31);
        using var trainX = torch.rand([96, 1, 28, 28], generator: generator);
        using var trainY = torch.randint(0, 10, [96], generator: generator);
        using var testX = torch.rand([32, 1, 28, 28], generator: generator);
        using var testY = torch.randint(0, 10, [32], generator: generator);
        _train = new TensorDataset(trainX, trainY);
        _test = new TensorDataset(testX, testY);
    }

    [TearDown]
    public void Dispose()
    {
        _train.Dispose();
        _test.Dispose();
        _folder.Dispose();
    }

    // Dropout active (the global generator), a seeded shuffle, Adam with a per-epoch StepLR, or SGD with momentum
    // and a per-batch OneCycleLR plus clipping: everything a resume has to restore.
    private static TrainingOptions Options(string setup, string directory) => setup switch
    {
        "adam-steplr" => new TrainingOptions
        {
            Epochs = 4, BatchSize = 16, Shuffle = true, ShuffleSeed = 5, CheckpointDirectory = directory,
            Optimizer = p => optim.Adam(p, 1e-3), Schedule = LearningRateSchedule.StepLR(1, 0.5),
        },
        "sgd-onecycle" => new TrainingOptions
        {
            Epochs = 4, BatchSize = 16, Shuffle = true, CheckpointDirectory = directory, MaxGradientNorm = 1.0,
            Optimizer = p => optim.SGD(p, 0.01, momentum: 0.9, weight_decay: 1e-4),
            Schedule = LearningRateSchedule.OneCycleLR(0.1, 4 * 6),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(setup)),
    };

    [TestCase("adam-steplr")]
    [TestCase("sgd-onecycle")]
    public void Fit_CancelledDuringEpoch3AndResumed_EndsBitIdenticalToAnUninterruptedRun(string setup)
    {
        var straightDir = Path.Combine(_folder.Path, "straight");
        var resumedDir = Path.Combine(_folder.Path, "resumed");
        torch.manual_seed(1);
        using var straight = new BatchNormCnn();
        var expected = Trainer.Fit(straight, _train, _test, Options(setup, straightDir));

        torch.manual_seed(1);
        using var interrupted = new BatchNormCnn();
        using var cancellation = new CancellationTokenSource();
        var cancelling = Options(setup, resumedDir) with
        {
            Progress = new Synchronous(p =>
            {
                if (p is { Epoch: 3, Phase: TrainingPhase.Train, Batch: 3 })
                {
                    cancellation.Cancel();
                }
            }),
        };
        FluentActions.Invoking(() => Trainer.Fit(interrupted, _train, _test, cancelling, cancellationToken: cancellation.Token))
            .Should().Throw<OperationCanceledException>();
        TrainingCheckpoint.TryRead(resumedDir)!.Epoch.Should().Be(2, "epoch 3 never completed");

        torch.manual_seed(99); // another process: other initial weights, another global generator state
        using var resumed = new BatchNormCnn();
        var output = new StringWriter { NewLine = "\n" };
        var result = Trainer.Fit(resumed, _train, _test, Options(setup, resumedDir) with { Output = output, LogInterval = 100 }, resume: true);

        result.Epochs.Select(e => e.Epoch).Should().Equal(1, 2, 3, 4);
        result.Epochs.Select(e => (e.Train.AverageLoss, e.Train.LastLoss, e.Test.AverageLoss, e.Test.Correct))
            .Should().Equal(expected.Epochs.Select(e => (e.Train.AverageLoss, e.Train.LastLoss, e.Test.AverageLoss, e.Test.Correct)));
        output.ToString().Should().StartWith("Epoch 3\n", "only the remaining epochs run");
        var want = straight.state_dict();
        var got = resumed.state_dict();
        got.Keys.Should().Equal(want.Keys);
        foreach (var (key, value) in want)
        {
            Bytes(got[key]).Should().Equal(Bytes(value), $"{key} is bit-identical to the uninterrupted run's");
        }
        File.ReadAllBytes(Path.Combine(resumedDir, "epoch-0004.pth")).Should().Equal(File.ReadAllBytes(Path.Combine(straightDir, "epoch-0004.pth")));
    }

    [Test]
    public void Fit_WithACheckpointDirectory_KeepsOnlyTheLastEpochsPairAndAPointerToIt()
    {
        torch.manual_seed(2);
        using var model = new BatchNormCnn();
        var directory = Path.Combine(_folder.Path, "new", "sub"); // created if missing

        Trainer.Fit(model, _train, _test, new TrainingOptions { Epochs = 2, BatchSize = 32, CheckpointDirectory = directory });

        Directory.GetFiles(directory).Select(Path.GetFileName).Order()
            .Should().Equal("checkpoint.json", "epoch-0002.pth", "epoch-0002.state");
        var checkpoint = TrainingCheckpoint.TryRead(directory)!;
        checkpoint.Epoch.Should().Be(2);
        checkpoint.ModelPath.Should().Be(Path.Combine(Path.GetFullPath(directory), "epoch-0002.pth"));
        Checkpoint.DetectFormat(checkpoint.ModelPath).Should().Be(CheckpointFormat.PyTorch);
        using var loaded = new BatchNormCnn();
        loaded.LoadCheckpoint(checkpoint.ModelPath);
        foreach (var (key, value) in model.state_dict())
        {
            Bytes(loaded.state_dict()[key]).Should().Equal(Bytes(value), key);
        }
    }

    [TestCase("epoch-0002.pth")]
    [TestCase("epoch-0002.state")]
    [TestCase("checkpoint.json")]
    public void Fit_FailureWhileWritingEpoch2_LeavesEpoch1sFilesIntact_AndResumesFromThem(string failing)
    {
        torch.manual_seed(3);
        using var model = new BatchNormCnn();
        var directory = _folder.Path;
        byte[]? epoch1Model = null, epoch1State = null;
        var failNow = false;
        Stream Wrap(string path, Stream stream) =>
            failNow && Path.GetFileName(path) == failing ? new FailingStream(stream, failAfterBytes: 20) : stream;
        var options = new TrainingOptions
        {
            Epochs = 3, BatchSize = 32, CheckpointDirectory = directory, Optimizer = p => optim.Adam(p, 1e-3),
            Progress = new Synchronous(p =>
            {
                if (p is { Epoch: 2, Batch: 1, Phase: TrainingPhase.Train })
                {
                    epoch1Model = File.ReadAllBytes(Path.Combine(directory, "epoch-0001.pth"));
                    epoch1State = File.ReadAllBytes(Path.Combine(directory, "epoch-0001.state"));
                    failNow = true;
                }
            }),
        };

        FluentActions.Invoking(() => Trainer.FitCore(model, _train, _test, options, resume: false, Wrap, CancellationToken.None))
            .Should().Throw<CheckpointException>().WithMessage($"Cannot save checkpoint '*{failing}': disk full*");

        TrainingCheckpoint.TryRead(directory)!.Epoch.Should().Be(1);
        File.ReadAllBytes(Path.Combine(directory, "epoch-0001.pth")).Should().Equal(epoch1Model);
        File.ReadAllBytes(Path.Combine(directory, "epoch-0001.state")).Should().Equal(epoch1State);
        Directory.GetFiles(directory, "*.tmp", SearchOption.AllDirectories).Should().BeEmpty("the temporary file is removed");

        var resumed = Trainer.Fit(model, _train, _test, options with { Progress = null }, resume: true);

        resumed.Epochs.Select(e => e.Epoch).Should().Equal(1, 2, 3);
        TrainingCheckpoint.TryRead(directory)!.Epoch.Should().Be(3);
        Directory.GetFiles(directory).Select(Path.GetFileName).Order()
            .Should().Equal("checkpoint.json", "epoch-0003.pth", "epoch-0003.state");
    }

    [Test]
    public void Fit_NaNLossInEpoch2_StopsNamingEpochAndBatch_AndKeepsEpoch1OnDisk()
    {
        torch.manual_seed(4);
        using var model = new BatchNormCnn();
        var poison = false;
        var options = new TrainingOptions
        {
            Epochs = 3, BatchSize = 16, CheckpointDirectory = _folder.Path,
            LossFunction = (p, y) => poison ? nn.functional.cross_entropy(p, y).mul(double.NaN) : nn.functional.cross_entropy(p, y),
            Progress = new Synchronous(p => poison |= p is { Epoch: 2, Batch: 3, Phase: TrainingPhase.Train }),
        };
        var act = () => Trainer.Fit(model, _train, _test, options);

        var thrown = act.Should().Throw<NonFiniteLossException>()
            .WithMessage("The training loss became nan at epoch 2, batch 3: training stopped, and the last completed epoch's checkpoint is kept*").Which;
        thrown.Epoch.Should().Be(2);
        thrown.Batch.Should().Be(3);
        TrainingCheckpoint.TryRead(_folder.Path)!.Epoch.Should().Be(1, "the last good epoch stays on disk");
        using var kept = new BatchNormCnn();
        kept.LoadCheckpoint(TrainingCheckpoint.TryRead(_folder.Path)!.ModelPath);
        foreach (var (_, value) in kept.state_dict())
        {
            value.isfinite().all().item<bool>().Should().BeTrue("the kept weights are finite");
        }
    }

    [Test]
    public void TrainEpoch_NaNWithoutProgressOrLogs_IsNamedAtTheEndOfThePass()
    {
        torch.manual_seed(4);
        using var model = new BatchNormCnn();
        using var loader = new BatchLoader(_train, batchSize: 16);
        using var optimizer = optim.SGD(model.parameters(), 0.01);
        var calls = 0;
        var options = new TrainingOptions
        {
            LogInterval = 1000,
            LossFunction = (p, y) => ++calls == 2 ? nn.functional.cross_entropy(p, y).mul(double.PositiveInfinity) : nn.functional.cross_entropy(p, y),
        };

        FluentActions.Invoking(() => Trainer.TrainEpoch(model, loader, optimizer, options)).Should().Throw<NonFiniteLossException>()
            .WithMessage("The training loss became inf at epoch 0, batch 1:*").Which.Batch.Should().Be(1);
    }

    [Test]
    public void Fit_CheckpointDirectoryNotWritable_ThrowsBeforeTraining()
    {
        var file = _folder.File("a-file");
        File.WriteAllText(file, "not a folder");
        torch.manual_seed(5);
        using var model = new BatchNormCnn();
        using var weight = model.parameters().First().detach().clone();

        var act = () => Trainer.Fit(model, _train, _test, new TrainingOptions { Epochs = 1, CheckpointDirectory = Path.Combine(file, "checkpoints") });

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot write checkpoints to '{Path.Combine(file, "checkpoints")}' (TrainingOptions.CheckpointDirectory): *");
        Bytes(model.parameters().First()).Should().Equal(Bytes(weight), "nothing was trained");
    }

    [Test]
    public void Fit_ResumeWithoutADirectory_Throws_AndWithAnEmptyOneStartsAtEpoch1()
    {
        using var model = new BatchNormCnn();

        FluentActions.Invoking(() => Trainer.Fit(model, _train, _test, new TrainingOptions { Epochs = 1 }, resume: true))
            .Should().Throw<ArgumentException>().WithMessage("Expected TrainingOptions.CheckpointDirectory to resume from; found none.*");
        Trainer.Fit(model, _train, _test, new TrainingOptions { Epochs = 1, CheckpointDirectory = _folder.Path }, resume: true)
            .Epochs.Select(e => e.Epoch).Should().Equal(1);
    }

    [Test]
    public void Fit_ResumeWithAnotherOptimizer_ThrowsCheckpointException_AndLeavesTheModelAlone()
    {
        torch.manual_seed(6);
        using var model = new BatchNormCnn();
        Trainer.Fit(model, _train, _test, new TrainingOptions { Epochs = 1, CheckpointDirectory = _folder.Path });
        using var other = new BatchNormCnn();
        using var weight = other.parameters().First().detach().clone();

        var act = () => Trainer.Fit(other, _train, _test,
            new TrainingOptions { Epochs = 2, CheckpointDirectory = _folder.Path, Optimizer = p => optim.Adam(p, 1e-3) }, resume: true);

        act.Should().Throw<CheckpointException>().WithMessage("Cannot resume from '*epoch-0001.state': Mismatched optimizer type: expected 'Adam', but found 'SGD'*");
        Bytes(other.parameters().First()).Should().Equal(Bytes(weight), "a failed resume loads nothing into the model");
    }

    [Test]
    public void Fit_WithCheckpointsAdamScheduleAndClipping_LeavesNoTensorsBehind()
    {
        torch.manual_seed(7);
        using var model = new BatchNormCnn();
        var options = Options("sgd-onecycle", _folder.Path) with { Epochs = 1, Schedule = LearningRateSchedule.CosineAnnealingLR(2) };

        var added = LeakCheck.LiveTensorsAddedBy(() => Trainer.Fit(model, _train, _test, options), repetitions: 2);
        var resumed = LeakCheck.LiveTensorsAddedBy(
            () => Trainer.Fit(model, _train, _test, options with { Epochs = 2 }, resume: true), repetitions: 1);

        added.Should().Be(0);
        resumed.Should().Be(0);
    }

    private static byte[] Bytes(Tensor tensor) => tensor.bytes.ToArray();

    private sealed class Synchronous(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
