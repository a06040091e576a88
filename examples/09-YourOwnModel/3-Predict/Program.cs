// Step 3: predict with it — softmax over the logits and argmax, for any classifier:
//
//   model.eval()
//   with torch.no_grad():
//       probabilities = nn.Softmax(dim=1)(model(X))
//   predicted = probabilities.argmax(1)
//
//   dotnet run --project examples/09-YourOwnModel/3-Predict -- model.pth DATA_DIR [COUNT]
//
// DATA_DIR holds FashionMNIST's IDX files (examples/06-Train --download fetches them). Prints the first COUNT (10)
// test images' predicted and actual classes with the confidence, then the accuracy over the whole test split.
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using YourOwnModel;
using static TorchSharp.torch;

return Step.Run(args, "usage: YourOwnModel.Predict FILE.pth DATA_DIR [COUNT]", 2, a =>
{
    var count = a.Length > 2 && int.TryParse(a[2], out var n) && n >= 1
        ? n
        : a.Length > 2 ? throw new ArgumentException($"COUNT expects a whole number of at least 1, found '{a[2]}'") : 10;
    using var model = Step.LoadModel(a[0]);
    using var test = Step.TestImages(a[1]);
    var options = new InferenceOptions { ClassNames = test.ClassNames };
    count = (int)Math.Min(count, test.Count);
    using (var images = test.Images[TensorIndex.Slice(0, count)])
    {
        var predictions = model.Predict(images, options);
        for (var i = 0; i < count; i++)
        {
            var actual = test.ClassNames[test.GetLabel(i)];
            Console.WriteLine($"image {i}: predicted \"{predictions[i].Label}\" ({100 * predictions[i].Confidence:0.0}%), actual \"{actual}\"");
        }
    }
    var correct = 0L;
    for (long start = 0; start < test.Count; start += 256)
    {
        using var batch = test.Images[TensorIndex.Slice(start, Math.Min(start + 256, test.Count))];
        var predictions = model.Predict(batch);
        correct += predictions.Select((p, i) => p.Class == test.GetLabel(start + i) ? 1 : 0).Sum();
    }
    Console.WriteLine($"Accuracy on the {test.Count} test images: {100.0 * correct / test.Count:0.0}%");
});
