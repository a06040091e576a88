using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>
/// The target ratios, each measured as pairs run alternately (A, B, B, A, ...) over several rounds, so the
/// drift of a shared virtual machine's speed falls on both sides; the reported ratio is the median of the rounds'
/// ratios of median call times. Each block starts after a 300 ms pause so the previous block's spinning worker
/// threads have gone idle. Same weights and inputs for every pair.
/// </summary>
internal static class TargetsRun
{
    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 7;
        Rounds = rounds;
        Only = args.Length > 1 ? args[1] : null;
        using var w = new SharedWeights();
        Console.WriteLine($"{Machine.Describe()}; rounds: {rounds}");
        Console.WriteLine("| pair | batch | A median | B median | A / B (median of rounds) | target |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var batch in new[] { 1, 4096 })
        {
            torch.manual_seed(7);
            using var x = torch.rand(batch, 784);
            var pixels = x.data<float>().ToArray();
            var probabilities = new float[batch * 10];
            var classes = new int[batch];
            using var onnxIn = OrtValue.CreateTensorValueFromMemory(pixels, [batch, 784]);
            using var onnxOut = OrtValue.CreateTensorValueFromMemory(probabilities, [batch, 10]);
            string[] inNames = ["x"], outNames = ["p"];
            void Onnx()
            {
                w.Onnx.Run(inNames, [onnxIn], outNames, [onnxOut]);
                for (var i = 0; i < batch; i++)
                {
                    classes[i] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities.AsSpan(i * 10, 10));
                }
            }
            void RawForward()
            {
                using var noGrad = no_grad();
                w.Raw.forward(x).Dispose();
            }
            void LibraryForward()
            {
                using var noGrad = no_grad();
                w.Model.forward(x).Dispose();
            }
            void RawPredict()
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var p = nn.functional.softmax(w.Raw.forward(x), 1);
                var c = p.argmax(1);
                p.data<float>().CopyTo(probabilities);
                var cs = c.data<long>();
                for (var i = 0; i < batch; i++)
                {
                    classes[i] = (int)cs[i];
                }
            }
            void RawBFloat16Forward()
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                w.RawBFloat16.forward(x.to_type(ScalarType.BFloat16));
            }
            var pairs = new List<(string Name, Action A, Action B, string Target)>
            {
                ("library model.forward / raw TorchSharp forward", LibraryForward, RawForward, "<= 1.03"),
                ("library Predict (libtorch fp32) / raw TorchSharp predict", () => w.Model.Predict(x, InferenceOptions.LibTorchOnly), RawPredict, "<= 1.03"),
            };
            if (batch == 1)
            {
                pairs.Add(("library Predict (auto = packed, frozen) / ONNX Runtime", () => w.Frozen.Predict(x), Onnx, "<= 0.6"));
                pairs.Add(("library Predict (auto = packed, trainable) / ONNX Runtime", () => w.Trainable.Predict(x), Onnx, "<= 0.6"));
                pairs.Add(("library frozen.Predict (spans; was PackedInference.Predict) / ONNX Runtime", () => w.Frozen.Predict(pixels, probabilities, classes), Onnx, "<= 0.6"));
            }
            else
            {
                pairs.Add(("library Predict (auto = libtorch fp32) / raw TorchSharp predict", () => w.Model.Predict(x), RawPredict, "<= 1/0.95 = 1.053"));
                pairs.Add(("library Predict (bf16 opt-in) / ONNX Runtime fp32", () => w.Model.Predict(x, SharedWeights.BFloat16), Onnx, "<= 1/1.5 = 0.667"));
                pairs.Add(("raw TorchSharp bf16 forward alone (input converted) / ONNX Runtime fp32 predict: libtorch's bf16 ceiling", RawBFloat16Forward, Onnx, "(information)"));
                pairs.Add(("library frozen.Predict (spans, fp32; was PackedInference.Predict) / raw TorchSharp predict", () => w.Frozen.Predict(pixels, probabilities, classes), RawPredict, "(information)"));
                pairs.Add(("ONNX Runtime fp32 / raw TorchSharp predict", Onnx, RawPredict, "(information)"));
            }
            foreach (var (name, a, b, target) in pairs)
            {
                Report(name, batch.ToString(System.Globalization.CultureInfo.InvariantCulture), a, b, target, batch == 1 ? 3000 : 4, rounds);
            }
        }

        // Batch 1 on real images: the first 256 MNIST t10k images in turn (about 81% of their pixels are exactly 0, which
        // the packed path's single-image kernel skips), the same images for both sides.
        var real = Idx.SharedFixtures() is { } fixtures
            ? Idx.ReadImages(Path.Combine(fixtures, "mnist", "t10k-images-idx3-ubyte.gz"), out _).AsMemory(0, RealImages * 784).ToArray()
            : null;
        if (real is not null)
        {
            RealImagesPair("library Predict (auto = packed, frozen) / ONNX Runtime, real MNIST images in turn", real, t => w.Frozen.Predict(t), w.Onnx);
        }
        else
        {
            Console.WriteLine("(batch 1 on real MNIST images: skipped, ../shared/fixtures not found)");
        }

        // Another MLP, 784-256-128-10, as a plain TorchSharp Sequential (not NeuralNetwork), through the generic
        // Predict (live weights) and its frozen copy, against ONNX Runtime on the same weights, batch 1.
        torch.manual_seed(43);
        using var mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10));
        mlp.eval();
        using var mlpFrozen = mlp.Freeze();
        using var mlpOnnx = new OnnxMlp(OnnxMlp.BuildMlp(SharedWeights.LayersOf(mlp), finalRelu: false));
        {
            torch.manual_seed(7);
            using var x = torch.rand(1, 784);
            var input = x.data<float>().ToArray();
            var output = new float[10];
            using var onnxIn = OrtValue.CreateTensorValueFromMemory(input, [1, 784]);
            using var onnxOut = OrtValue.CreateTensorValueFromMemory(output, [1, 10]);
            void Onnx()
            {
                mlpOnnx.Run(["x"], [onnxIn], ["p"], [onnxOut]);
                _ = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(output);
            }
            Report("784-256-128-10 Sequential: model.Predict (generic, live weights) / ONNX Runtime, dense random input", "1", () => mlp.Predict(x), Onnx, "<= 0.6", 3000, rounds);
            Report("784-256-128-10 Sequential: frozen.Predict / ONNX Runtime, dense random input", "1", () => mlpFrozen.Predict(x), Onnx, "<= 0.6", 3000, rounds);
        }
        if (real is not null)
        {
            RealImagesPair("784-256-128-10 Sequential: model.Predict (generic, live weights) / ONNX Runtime, real MNIST images in turn", real, t => mlp.Predict(t), mlpOnnx);
            RealImagesPair("784-256-128-10 Sequential: frozen.Predict / ONNX Runtime, real MNIST images in turn", real, t => mlpFrozen.Predict(t), mlpOnnx);
        }

        // A LeNet-style CNN (Conv2d/ReLU/MaxPool2d/Flatten/Linear) at batch 64: the generic Predict (libtorch forward,
        // managed softmax) against the same module's raw forward + softmax + argmax + copy out.
        torch.manual_seed(44);
        using var cnn = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding: 2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10));
        cnn.eval();
        {
            torch.manual_seed(8);
            using var cnnImages = torch.rand(64, 1, 28, 28);
            var cnnProbabilities = new float[64 * 10];
            var cnnClasses = new int[64];
            Report("generic Predict on a LeNet-style CNN / raw TorchSharp forward + softmax + argmax", "64", () => cnn.Predict(cnnImages), () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var p = nn.functional.softmax(cnn.forward(cnnImages), 1);
                var c = p.argmax(1);
                p.data<float>().CopyTo(cnnProbabilities);
                var cs = c.data<long>();
                for (var i = 0; i < cnnClasses.Length; i++)
                {
                    cnnClasses[i] = (int)cs[i];
                }
            }, "<= 1.03", 100, rounds);
        }

        if (Only is null || "Trainer.TrainEpoch".Contains(Only, StringComparison.Ordinal))
        {
            TrainingPairs(rounds);
        }
        return 0;
    }

    /// <summary>The training rows alone (<c>targets-training [rounds]</c>): the library's loop against the same steps
    /// written in raw TorchSharp, each side on its own copy of the same starting weights, with samples/s.</summary>
    public static int RunTraining(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 7;
        Rounds = rounds;
        Console.WriteLine($"cores: {Environment.ProcessorCount}, rounds: {rounds}");
        Console.WriteLine("| pair | batch | A median | B median | A / B (median of rounds) | target |");
        Console.WriteLine("|---|---|---|---|---|---|");
        TrainingPairs(rounds);
        return 0;
    }

    private static void TrainingPairs(int rounds)
    {
        // The quickstart MLP with SGD: 12,800 samples (200 steps of 64) per call.
        const int trainingSamples = 12_800;
        torch.manual_seed(11);
        using var images = torch.rand(trainingSamples, 1, 28, 28);
        using var labels = torch.randint(0, 10, [trainingSamples], ScalarType.Int64);
        using var dataset = new NeuralNet.Torch.Data.ImageDataset(images, labels, Enumerable.Range(0, 10).Select(i => $"{i}").ToArray());
        using var libraryModel = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var rawModel = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        rawModel.load_state_dict(libraryModel.state_dict());
        var (mlpLibrary, mlpRaw) = Report("library Trainer.TrainEpoch / raw TorchSharp training loop (SGD, batch 64)", "64 (200 steps)",
            () => TrainingBenchmarks.LibraryLoop(libraryModel, dataset, 64),
            () => TrainingBenchmarks.RawLoop(rawModel, images, labels, 64), "<= 1.03", 3, rounds);

        // The zoo's BatchNorm CNN with Adam: 3,200 samples (50 steps of 64) per call.
        torch.manual_seed(12);
        using var cnnImages = torch.rand(CnnTrainingBenchmarks.Samples, 1, 28, 28);
        using var cnnLabels = torch.randint(0, 10, [CnnTrainingBenchmarks.Samples], ScalarType.Int64);
        using var cnnData = new NeuralNet.Torch.Data.TensorDataset(cnnImages, cnnLabels);
        // Each call starts from the same weights: left to train on, the two models drift apart (dropout draws
        // differ) and get slower call after call (2x within a run, both sides), which measures the data, not the loop.
        using var libraryCnn = CnnTrainingBenchmarks.Create();
        using var rawCnn = CnnTrainingBenchmarks.Create();
        var start = libraryCnn.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var (cnnLibrary, cnnRaw) = Report("library Trainer.TrainEpoch / raw TorchSharp training loop (BatchNorm CNN, Adam, batch 64)", "64 (50 steps)",
            () =>
            {
                libraryCnn.load_state_dict(start);
                CnnTrainingBenchmarks.LibraryLoop(libraryCnn, cnnData, 64);
            },
            () =>
            {
                rawCnn.load_state_dict(start);
                CnnTrainingBenchmarks.RawLoop(rawCnn, cnnImages, cnnLabels, 64);
            }, "<= 1.03", 3, rounds);
        foreach (var tensor in start.Values)
        {
            tensor.Dispose();
        }
        Console.WriteLine();
        Console.WriteLine($"training samples/s: quickstart MLP library {trainingSamples / (mlpLibrary / 1e6):F0}, raw {trainingSamples / (mlpRaw / 1e6):F0}; " +
                          $"BatchNorm CNN library {CnnTrainingBenchmarks.Samples / (cnnLibrary / 1e6):F0}, raw {CnnTrainingBenchmarks.Samples / (cnnRaw / 1e6):F0}");
    }

    private const int RealImages = 256;

    // One pair at batch 1 on the real MNIST images in turn: the library's predict of each [1, 784] tensor against
    // ONNX Runtime on the same image.
    private static void RealImagesPair(string name, float[] images, Func<Tensor, IReadOnlyList<ClassPrediction>> predict, OnnxMlp onnx)
    {
        var tensors = Enumerable.Range(0, RealImages).Select(i => torch.tensor(images.AsSpan(i * 784, 784).ToArray(), [1, 784])).ToArray();
        var input = new float[784];
        var output = new float[10];
        using var onnxIn = OrtValue.CreateTensorValueFromMemory(input, [1, 784]);
        using var onnxOut = OrtValue.CreateTensorValueFromMemory(output, [1, 10]);
        int next = 0, nextOnnx = 0;
        Report(name, "1", () => predict(tensors[next++ % RealImages]), () =>
        {
            images.AsSpan(nextOnnx++ % RealImages * 784, 784).CopyTo(input);
            onnx.Run(["x"], [onnxIn], ["p"], [onnxOut]);
            _ = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(output);
        }, "<= 0.6", 3000, Rounds);
        foreach (var t in tensors)
        {
            t.Dispose();
        }
    }

    private static int Rounds { get; set; } = 7;

    // The second argument of `targets`: only the rows whose name contains it (a quicker run while working on one path).
    private static string? Only { get; set; }

    private static (double A, double B) Report(string name, string batch, Action a, Action b, string target, int calls, int rounds)
    {
        if (Only is not null && !name.Contains(Only, StringComparison.Ordinal))
        {
            return (double.NaN, double.NaN);
        }
        try
        {
            a();
            b();
        }
        catch (NotSupportedException e)
        {
            // A row this CPU cannot run (bf16 without AVX512_BF16) says why and the run goes on.
            Console.WriteLine($"| {name} | {batch} | n/a: {e.Message.Split(';')[0]} | | | {target} |");
            return (double.NaN, double.NaN);
        }
        var ratios = new List<double>();
        var aTimes = new List<double>();
        var bTimes = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            double ta, tb;
            if (round % 2 == 0)
            {
                ta = Median(a, calls);
                tb = Median(b, calls);
            }
            else
            {
                tb = Median(b, calls);
                ta = Median(a, calls);
            }
            aTimes.Add(ta);
            bTimes.Add(tb);
            ratios.Add(ta / tb);
        }
        Console.WriteLine($"| {name} | {batch} | {Format(MedianOf(aTimes))} | {Format(MedianOf(bTimes))} | {MedianOf(ratios):F3} | {target} |");
        return (MedianOf(aTimes), MedianOf(bTimes));
    }

    /// <summary>The median time of <paramref name="calls"/> calls, in microseconds, after a 300 ms pause and one
    /// warm-up call.</summary>
    internal static double Median(Action action, int calls)
    {
        // Let the other library's spinning worker threads (OpenMP's, ONNX Runtime's, the packed path's helper) go
        // idle first: on two cores they would otherwise steal time from this block.
        Thread.Sleep(300);
        action();
        var times = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(times);
        return times[calls / 2];
    }

    private static double MedianOf(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Format(double us) => us >= 1000 ? $"{us / 1000:F2} ms" : $"{us:F1} us";
}
