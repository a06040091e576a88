// Step 5: serve it from .NET code: a thread-safe Predictor that batches concurrent requests into one forward pass.
// What a web service does per request (examples/08-PredictionService serves this model over HTTP with
// `--model`/`--input-shape`), here from many concurrent callers at once:
//
//   with torch.no_grad(): predicted = model(batch_of_requests).softmax(1).argmax(1)
//
//   dotnet run --project examples/09-YourOwnModel/5-Serve -- model.pth DATA [libtorch|onnxruntime]
//
// Each request is one image flattened to 784 floats (InputShape [1, 28, 28] says how to shape it); 16 callers send
// the first 1,000 test images. Prints the predictor's engine and input, how many answers equal a direct
// model.Predict on the same images (all of them), and the accuracy.
using System.Diagnostics;
using NeuralNet.Torch;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;
using YourOwnModel;
using static TorchSharp.torch;

return Step.Run(args, "usage: YourOwnModel.Serve FILE.pth DATA [libtorch|onnxruntime]", 2, a =>
{
    var engine = a.Length < 3 ? PredictionEngine.LibTorch : a[2] switch
    {
        "libtorch" => PredictionEngine.LibTorch,
        "onnxruntime" => PredictionEngine.OnnxRuntime,
        var other => throw new ArgumentException($"the engine is 'libtorch' or 'onnxruntime', found '{other}'"),
    };
    using var test = Step.TestImages(a[1]);
    var count = (int)Math.Min(1000, test.Count);
    var images = new float[count][];
    IReadOnlyList<ClassPrediction> direct;
    using (var batch = test.Images[TensorIndex.Slice(0, count)])
    using (var model = Step.LoadModel(a[0]))
    {
        direct = model.Predict(batch);
        var pixels = batch.data<float>().ToArray();
        for (var i = 0; i < count; i++)
        {
            images[i] = pixels.AsSpan(i * 784, 784).ToArray();
        }
    }

    var options = new PredictorOptions { InputShape = [1, 28, 28], ClassNames = test.ClassNames, Engine = engine };
    using var predictor = new Predictor(Step.LoadModel(a[0]), options);
    Console.WriteLine($"Predictor: {predictor.Engine} on {predictor.Device.type.ToString().ToLowerInvariant()}, input " +
        $"[{string.Join(", ", predictor.InputShape)}] {predictor.InputElementType}, {predictor.ClassCount} classes, " +
        $"{predictor.ParameterCount:N0} parameters");

    var answers = new ClassPrediction[count];
    var clock = Stopwatch.StartNew();
    Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 },
        async (i, cancellation) => answers[i] = await predictor.PredictAsync(images[i], cancellation)).GetAwaiter().GetResult();
    clock.Stop();

    var same = answers.Where((p, i) => p.Class == direct[i].Class).Count();
    var correct = answers.Where((p, i) => p.Class == test.GetLabel(i)).Count();
    Console.WriteLine($"{count} requests from 16 concurrent callers in {clock.Elapsed.TotalMilliseconds:0} ms");
    Console.WriteLine($"Same class as model.Predict: {same} of {count}");
    Console.WriteLine($"First answer: \"{answers[0].Label}\" ({100 * answers[0].Confidence:0.0}%), actual \"{test.ClassNames[test.GetLabel(0)]}\"");
    Console.WriteLine($"Accuracy: {100.0 * correct / count:0.0}%");
});
