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
        using var w = new SharedWeights();
        Console.WriteLine($"AVX-512: {CpuFeatures.HasAvx512}, AVX512_BF16: {CpuFeatures.HasAvx512BFloat16}, cores: {Environment.ProcessorCount}, rounds: {rounds}");
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
                pairs.Add(("library Predict (auto = packed, frozen) / ONNX Runtime", () => w.Model.Predict(x), Onnx, "<= 0.6"));
                pairs.Add(("library Predict (auto = packed, trainable) / ONNX Runtime", () => w.Trainable.Predict(x), Onnx, "<= 0.6"));
                pairs.Add(("library PackedInference.Predict (spans) / ONNX Runtime", () => PackedInference.Predict(w.Model, pixels, probabilities, classes), Onnx, "<= 0.6"));
            }
            else
            {
                pairs.Add(("library Predict (auto = libtorch fp32) / raw TorchSharp predict", () => w.Model.Predict(x), RawPredict, "<= 1/0.95 = 1.053"));
                pairs.Add(("library Predict (bf16 opt-in) / ONNX Runtime fp32", () => w.Model.Predict(x, SharedWeights.BFloat16), Onnx, "<= 1/1.5 = 0.667"));
                pairs.Add(("raw TorchSharp bf16 forward alone (input converted) / ONNX Runtime fp32 predict: libtorch's bf16 ceiling", RawBFloat16Forward, Onnx, "(information)"));
                pairs.Add(("library PackedInference.Predict (spans, fp32) / raw TorchSharp predict", () => PackedInference.Predict(w.Model, pixels, probabilities, classes), RawPredict, "(information)"));
                pairs.Add(("ONNX Runtime fp32 / raw TorchSharp predict", Onnx, RawPredict, "(information)"));
            }
            foreach (var (name, a, b, target) in pairs)
            {
                Report(name, batch.ToString(System.Globalization.CultureInfo.InvariantCulture), a, b, target, batch == 1 ? 3000 : 4, rounds);
            }
        }

        // Batch 1 on real images: the first 256 MNIST t10k images in turn (about 81% of their pixels are exactly 0, which
        // the packed path's single-image kernel skips), the same images for both sides.
        if (Idx.SharedFixtures() is { } fixtures)
        {
            var all = Idx.ReadImages(Path.Combine(fixtures, "mnist", "t10k-images-idx3-ubyte.gz"), out _);
            const int realImages = 256;
            var tensors = Enumerable.Range(0, realImages).Select(i => torch.tensor(all.AsSpan(i * 784, 784).ToArray(), [1, 784])).ToArray();
            var input = new float[784];
            var output = new float[10];
            using var onnxIn = OrtValue.CreateTensorValueFromMemory(input, [1, 784]);
            using var onnxOut = OrtValue.CreateTensorValueFromMemory(output, [1, 10]);
            int next = 0, nextOnnx = 0;
            Report("library Predict (auto = packed, frozen) / ONNX Runtime, real MNIST images in turn", "1",
                () => w.Model.Predict(tensors[next++ % realImages]),
                () =>
                {
                    all.AsSpan(nextOnnx++ % realImages * 784, 784).CopyTo(input);
                    w.Onnx.Run(["x"], [onnxIn], ["p"], [onnxOut]);
                    _ = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(output);
                }, "<= 0.6", 3000, rounds);
            foreach (var t in tensors)
            {
                t.Dispose();
            }
        }
        else
        {
            Console.WriteLine("(batch 1 on real MNIST images: skipped, ../shared/fixtures not found)");
        }

        // Training: the library's loop against the same steps written in raw TorchSharp, 12,800 samples (200 steps of
        // 64) per call, each side on its own copy of the same starting weights.
        const int trainingSamples = 12_800;
        torch.manual_seed(11);
        using var images = torch.rand(trainingSamples, 1, 28, 28);
        using var labels = torch.randint(0, 10, [trainingSamples], ScalarType.Int64);
        using var dataset = new NeuralNet.Torch.Data.ImageDataset(images, labels, Enumerable.Range(0, 10).Select(i => $"{i}").ToArray());
        using var libraryModel = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var rawModel = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        rawModel.load_state_dict(libraryModel.state_dict());
        Report("library Trainer.TrainEpoch / raw TorchSharp training loop (SGD, batch 64)", "64 (200 steps)",
            () => TrainingBenchmarks.LibraryLoop(libraryModel, dataset, 64),
            () => TrainingBenchmarks.RawLoop(rawModel, images, labels, 64), "<= 1.03", 3, rounds);
        return 0;
    }

    private static void Report(string name, string batch, Action a, Action b, string target, int calls, int rounds)
    {
        a();
        b();
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
