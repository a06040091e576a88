// Step 6: train it in .NET, exactly as PyTorch's loop would, then hand the weights back to PyTorch:
//
//   optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
//   for t in range(epochs): train_loop(train_dataloader, model, loss_fn, optimizer); test_loop(...)
//   torch.save(model.state_dict(), "trained.pth")
//
//   dotnet run -c Release --project examples/09-YourOwnModel/6-Train -- DATA [--download] [--epochs 2] [--out trained.pth]
//
// Trains on FashionMNIST's 60,000 training images (shuffled, seeded, batch 64), tests after each epoch on the
// 10,000 test images with the quickstart's printed lines, saves the weights as a PyTorch .pth
// (`python3 model.py --load trained.pth` loads them) and prints the final test accuracy and the time taken.
// --download fetches missing files from FashionMNIST's mirrors with md5 checks.
using System.Diagnostics;
using NeuralNet.Torch.Data;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Training;
using YourOwnModel;
using static TorchSharp.torch;

const string Usage = "usage: YourOwnModel.Train DATA [--download] [--epochs N] [--out FILE.pth]";
return Step.Run(args, Usage, 1, a =>
{
    var data = a[0];
    var download = false;
    var epochs = 2;
    var output = "trained.pth";
    for (var i = 1; i < a.Length; i++)
    {
        switch (a[i])
        {
            case "--download": download = true; break;
            case "--epochs" when i + 1 < a.Length && int.TryParse(a[i + 1], out var n) && n >= 1: epochs = n; i++; break;
            case "--out" when i + 1 < a.Length: output = a[++i]; break;
            default: throw new ArgumentException($"unexpected argument '{a[i]}' ({Usage})");
        }
    }
    var source = IdxDatasetSource.FashionMnist;
    if (download)
    {
        source.DownloadAsync(data, new DatasetDownloadOptions { Log = Console.Out }).GetAwaiter().GetResult();
    }
    using var train = source.Load(data, DatasetSplit.Train);
    using var test = source.Load(data, DatasetSplit.Test);

    manual_seed(0);
    using var model = new FashionCnn();
    var options = new TrainingOptions
    {
        Epochs = epochs,
        Shuffle = true,
        ShuffleSeed = 0,
        Optimizer = parameters => optim.Adam(parameters, lr: 1e-3),
        Output = Console.Out,
    };
    var clock = Stopwatch.StartNew();
    var result = Trainer.Fit(model, train, test, options);
    clock.Stop();
    model.SaveCheckpoint(output);
    var last = result.Epochs[^1];
    Console.WriteLine($"Test accuracy after {epochs} epoch{(epochs == 1 ? "" : "s")}: {100 * last.TestAccuracy:0.0}% ({clock.Elapsed.TotalSeconds:0} s, " +
        $"{epochs * train.Count / clock.Elapsed.TotalSeconds:0} training images/s with the test passes)");
    Console.WriteLine($"Saved PyTorch Model State to {output}");
});
