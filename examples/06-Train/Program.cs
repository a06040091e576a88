// The PyTorch quickstart's training script (beginner/basics/quickstart_tutorial.py) on FashionMNIST:
//
//   training_data = datasets.FashionMNIST(root="data", train=True, download=True, transform=ToTensor())
//   test_data = datasets.FashionMNIST(root="data", train=False, download=True, transform=ToTensor())
//   train_dataloader = DataLoader(training_data, batch_size=64)
//   test_dataloader = DataLoader(test_data, batch_size=64)
//   print(f"Using {device} device")
//   model = NeuralNetwork().to(device)
//   loss_fn = nn.CrossEntropyLoss()
//   optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
//   for t in range(epochs):
//       print(f"Epoch {t+1}\n-------------------------------")
//       train(train_dataloader, model, loss_fn, optimizer)
//       test(test_dataloader, model, loss_fn)
//   print("Done!")
//   torch.save(model.state_dict(), "model.pth")
//   print("Saved PyTorch Model State to model.pth")
//   model = NeuralNetwork().to(device)
//   print(model.load_state_dict(torch.load("model.pth", weights_only=True)))   # the notebook shows this line
//   model.eval()
//   x, y = test_data[0][0], test_data[0][1]
//   with torch.no_grad():
//       pred = model(x.to(device))
//       predicted, actual = classes[pred[0].argmax(0)], classes[y]
//       print(f'Predicted: "{predicted}", Actual: "{actual}"')
//
//   dotnet run --project examples/06-Train -- --data DIR [--download] [--epochs 5] [--out DIR]
//       [--batch-size 64] [--lr 0.001] [--variant quickstart|documented] [--seed N] [--mirror URL]
//       [--optimizer sgd|adam|adamw] [--momentum X] [--scheduler step|cosine] [--checkpoints DIR [--resume]]
//
// --optimizer picks torch.optim.SGD (the tutorial's; --momentum sets its momentum, default 0), Adam or AdamW
// (weight_decay 0.01), each with --lr. --scheduler step is StepLR(step_size=1, gamma=0.7) (pytorch/examples' MNIST),
// cosine is CosineAnnealingLR(T_max=epochs); both step once per epoch. --checkpoints DIR saves the model (a PyTorch
// .pth) and the optimizer/scheduler/epoch state there after every epoch; --resume continues after the last saved
// epoch (same options; --epochs is the total). Without these flags the run is the tutorial's, line for line.
//
// --data holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte
// (each raw or .gz); --download fetches the missing ones from FashionMNIST's mirror (or --mirror) with md5 checks.
// Writes model.pth (PyTorch's format: torch.load reads it) and training.png (training loss and test accuracy per epoch) into --out (default: the current
// folder). On a terminal a progress bar runs during each epoch; redirected, only the tutorial's lines are printed.
using System.Globalization;
using NeuralNet.Torch;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Training;
using Spectre.Console;
using Train;
using TorchSharp;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture; // print numbers as Python does, whatever the locale
const string Usage = "usage: Train --data DIR [--download] [--epochs N] [--out DIR] [--batch-size N] [--lr X] " +
                     "[--variant quickstart|documented] [--seed N] [--mirror URL] [--optimizer sgd|adam|adamw] [--momentum X] " +
                     "[--scheduler step|cosine] [--checkpoints DIR [--resume]]";

string? dataDir = null;
var download = false;
var epochs = 5;
var outDir = "";
var batchSize = 64;
var learningRate = 1e-3;
var variant = NeuralNetworkVariant.Quickstart;
long? seed = null;
Uri? mirror = null;
var optimizerName = "sgd";
double? momentum = null;
string? schedulerName = null;
string? checkpoints = null;
var resume = false;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--data": dataDir = Arguments.Value(args, ref i); break;
            case "--download": download = true; break;
            case "--epochs": epochs = Arguments.Positive(args, ref i); break;
            case "--out": outDir = Arguments.Value(args, ref i); break;
            case "--batch-size": batchSize = Arguments.Positive(args, ref i); break;
            case "--lr": learningRate = Arguments.PositiveNumber(args, ref i); break;
            case "--variant": variant = Arguments.Variant(args, ref i); break;
            case "--seed": seed = Arguments.Integer(args, ref i); break;
            case "--mirror": mirror = Arguments.Url(args, ref i); break;
            case "--optimizer": optimizerName = Arguments.Choice(args, ref i, "sgd", "adam", "adamw"); break;
            case "--momentum": momentum = Arguments.Fraction(args, ref i); break;
            case "--scheduler": schedulerName = Arguments.Choice(args, ref i, "step", "cosine"); break;
            case "--checkpoints": checkpoints = Arguments.Value(args, ref i); break;
            case "--resume": resume = true; break;
            default: throw new ArgumentException($"unknown argument '{args[i]}'");
        }
    }
    if (dataDir is null)
    {
        throw new ArgumentException("--data DIR is required");
    }
    if (momentum is not null && optimizerName != "sgd")
    {
        throw new ArgumentException($"--momentum applies to --optimizer sgd, not {optimizerName}");
    }
    if (resume && checkpoints is null)
    {
        throw new ArgumentException("--resume needs --checkpoints DIR");
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message} ({Usage})");
    return 2;
}

try
{
    var device = Devices.Resolve();
    Console.WriteLine($"Using {Devices.Describe(device)} device");

    var source = IdxDatasetSource.FashionMnist;
    if (download)
    {
        await source.DownloadAsync(dataDir, new DatasetDownloadOptions { Mirrors = mirror is null ? null : [mirror], Log = Console.Out });
    }
    using var trainingData = source.Load(dataDir, DatasetSplit.Train);
    using var testData = source.Load(dataDir, DatasetSplit.Test);

    if (seed is { } s)
    {
        torch.manual_seed(s);
    }
    using var model = new NeuralNetwork(variant).to(device);
    var options = new TrainingOptions
    {
        Epochs = epochs,
        BatchSize = batchSize,
        LearningRate = learningRate,
        CheckpointDirectory = checkpoints,
        Optimizer = optimizerName switch
        {
            "adam" => p => torch.optim.Adam(p, learningRate),
            "adamw" => p => torch.optim.AdamW(p, learningRate, weight_decay: 0.01),
            _ when momentum is { } m => p => torch.optim.SGD(p, learningRate, momentum: m),
            _ => null, // the tutorial's torch.optim.SGD(model.parameters(), lr=learning_rate)
        },
        Schedule = schedulerName switch
        {
            "step" => LearningRateSchedule.StepLR(1, 0.7),
            "cosine" => LearningRateSchedule.CosineAnnealingLR(epochs),
            _ => null,
        },
    };
    if (resume && TrainingCheckpoint.TryRead(checkpoints!) is { } last)
    {
        Console.WriteLine($"Resuming after epoch {last.Epoch} from {last.ModelPath}");
    }
    var result = Console.IsOutputRedirected
        ? Trainer.Fit(model, trainingData, testData, options with { Output = Console.Out }, resume)
        : TrainWithProgressBar(model, trainingData, testData, options, resume);

    if (outDir.Length > 0)
    {
        Directory.CreateDirectory(outDir);
    }
    var plotPath = TrainingPlot.Save(result, Path.Combine(outDir, "training.png"));
    Console.WriteLine($"plot written to {plotPath}");
    var modelPath = Path.Combine(outDir, "model.pth");
    model.SaveCheckpoint(modelPath);
    Console.WriteLine($"Saved PyTorch Model State to {modelPath}");

    // Load what was saved into a fresh model, and classify the first test image with it, as the tutorial does.
    using var loaded = new NeuralNetwork(variant).to(device);
    Console.WriteLine(loaded.LoadCheckpoint(modelPath));
    using var x = testData.GetImage(0);
    var prediction = loaded.PredictOne(x);
    var classes = source.ClassNames;
    Console.WriteLine($"Predicted: \"{classes[prediction.Class]}\", Actual: \"{classes[testData.GetLabel(0)]}\"");
    return 0;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException
                               or HttpRequestException or CheckpointException or NonFiniteLossException)
{
    Console.Error.WriteLine($"error: {Arguments.Sentence(e)}");
    return 1;
}

// One Spectre task per loop: the tutorial's lines scroll above the bar of the epoch that is running.
static TrainingResult TrainWithProgressBar(NeuralNetwork model, ImageDataset train, ImageDataset test, TrainingOptions options, bool resume) =>
    AnsiConsole.Progress()
        .AutoClear(true)
        .HideCompleted(true)
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
        .Start(context =>
        {
            ProgressTask? task = null;
            var progress = new Synchronous<TrainingProgress>(p =>
            {
                if (p.Batch == 1)
                {
                    task?.StopTask();
                    task = context.AddTask($"Epoch {p.Epoch} {(p.Phase == TrainingPhase.Train ? "train" : "test")}", maxValue: p.BatchCount);
                }
                task!.Value = p.Batch;
                task.Description = $"Epoch {p.Epoch} {(p.Phase == TrainingPhase.Train ? "train" : "test")} [grey]loss {p.Loss:F4}[/]";
            });
            return Trainer.Fit(model, train, test, options with { Output = new ConsoleLineWriter(AnsiConsole.Console), Progress = progress }, resume);
        });

/// <summary>An IProgress that runs on the reporting thread (Progress&lt;T&gt; would post to the thread pool, out of order).</summary>
internal sealed class Synchronous<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
