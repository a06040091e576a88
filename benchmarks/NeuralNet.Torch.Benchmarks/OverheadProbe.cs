using System.Diagnostics;
using System.Reflection;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>Where <c>Predict</c>'s time goes beyond the raw chain: raw TorchSharp predict, the same on the library's
/// <c>model.forward</c>, and the library's <c>Predict</c> (libtorch fp32), alternated over 7 rounds; <c>--ops</c> times the
/// single TorchSharp calls a prediction makes.</summary>
internal static class OverheadProbe
{
    private delegate ClassPrediction[] FromLogitsFn(Span<float> logits, int count, int classes, IReadOnlyList<string>? names);
    private delegate void SoftmaxFn(Span<float> logits, int count, int classes);
    private delegate ClassPrediction[] FromProbabilitiesFn(ReadOnlySpan<float> p, int count, int classes, IReadOnlyList<string>? names);

    public static int Run(string[] args)
    {
        using var w = new SharedWeights();
        if (args.Contains("--ops"))
        {
            using var x1 = torch.rand(1, 784);
            using var lg = torch.rand(1, 10);
            using var lg4096 = torch.rand(4096, 10);
            using var x4096 = torch.rand(4096, 784);
            var p4096 = new float[40960];
            var results = typeof(PackedInference).Assembly.GetType("NeuralNet.Torch.Inference.PredictionResults")!;
            var fromLogits = results.GetMethod("FromLogits")!.CreateDelegate<FromLogitsFn>();
            var softmax = results.GetMethod("SoftmaxRows")!.CreateDelegate<SoftmaxFn>();
            var classes10 = 10;
            var fromProbabilities = results.GetMethod("FromProbabilities")!.CreateDelegate<FromProbabilitiesFn>();
            var choosePath = typeof(PackedInference).GetMethod("ChoosePath", BindingFlags.NonPublic | BindingFlags.Static)!;
            object?[] chooseArguments = [w.Model, 1L, InferenceOptions.LibTorchOnly];
            var ops = new (string, Action)[]
            {
                ("parameters().First()", () => w.Model.parameters().First()),
                ("model.training", () => _ = w.Model.training),
                ("shape", () => _ = x1.shape),
                ("is_floating_point", () => _ = x1.is_floating_point()),
                ("dtype+device_type+index", () => _ = (x1.dtype, x1.device_type, x1.device_index)),
                ("is_contiguous", () => _ = x1.is_contiguous()),
                ("reshape+dispose", () => x1.reshape(1, 784).Dispose()),
                ("scope+no_grad", () => { using var s = NewDisposeScope(); using var g = no_grad(); }),
                ("eval()", () => w.Model.eval()),
                ("softmax", () => nn.functional.softmax(lg, 1).Dispose()),
                ("to_type same + cpu()", () => { using var a = lg.to_type(ScalarType.Float32); using var b = a.cpu(); }),
                ("argmax", () => lg.argmax(1).Dispose()),
                ("data<float>().ToArray()", () => lg.data<float>().ToArray()),
                ("softmax [4096, 10]", () => nn.functional.softmax(lg4096, 1).Dispose()),
                ("x [4096, 784] to bf16", () => x4096.to_type(ScalarType.BFloat16).Dispose()),
                ("FromLogits 4096 (softmax + results)", () => fromLogits(p4096, 4096, classes10, null)),
                ("SoftmaxRows 4096", () => softmax(p4096, 4096, classes10)),
                ("FromProbabilities 4096", () => fromProbabilities(p4096, 4096, classes10, null)),
                ("4096 ClassPredictions", () => p4096.Chunk(10).Select(r => new ClassPrediction(0, r.ToArray())).ToArray()),
                ("Choose LibTorchOnly (finds the chain; through reflection)", () => choosePath.Invoke(null, chooseArguments)),
                ("IsSupported (chain + live pointers)", () => PackedInference.IsSupported(w.Model, out _)),
                ("IsSupported, plain Sequential", () => PackedInference.IsSupported(w.Raw, out _)),
            };
            foreach (var (name, op) in ops)
            {
                // Warm up long enough for tiered compilation to reach optimised code (about 30 calls, then a
                // background compile): up to 2,000 calls or 200 ms.
                var warm = Stopwatch.StartNew();
                for (var i = 0; i < 2000 && warm.ElapsedMilliseconds < 200; i++) op();
                var best = double.MaxValue;
                for (var r = 0; r < 5; r++)
                {
                    var sw = Stopwatch.StartNew();
                    for (var i = 0; i < 200; i++) op();
                    best = Math.Min(best, sw.Elapsed.TotalMicroseconds / 200);
                }
                Console.WriteLine($"{name,-30} {best * 1000,8:F0} ns");
            }
            return 0;
        }
        if (args.Contains("--cnn"))
        {
            return CnnProbe();
        }
        if (args.Contains("--packed"))
        {
            using var x1 = torch.rand(1, 784);
            var px = x1.data<float>().ToArray();
            var pr = new float[10];
            var cl = new int[1];
            var cases1 = new (string, Action)[]
            {
                ("frozen.Predict spans", () => w.Frozen.Predict(px, pr, cl)),
                ("frozen.Predict(Tensor)", () => w.Frozen.Predict(x1)),
                ("model.Predict(Tensor) live", () => w.Model.Predict(x1)),
                ("frozen.Forward spans", () => w.Frozen.Forward(px, pr)),
            };
            for (var round = 0; round < 4; round++)
            {
                foreach (var (name, action) in cases1)
                {
                    Console.WriteLine($"{name,-32} {TargetsRun.Median(action, 5000),8:F1} us");
                }
            }
            return 0;
        }
        foreach (var batch in new[] { 1, 4096 })
        {
            torch.manual_seed(7);
            using var x = torch.rand(batch, 784);
            var probabilities = new float[batch * 10];
            var classes = new int[batch];
            void PredictWith(Func<Tensor, Tensor> forward)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var p = nn.functional.softmax(forward(x), 1);
                var c = p.argmax(1);
                p.data<float>().CopyTo(probabilities);
                var cs = c.data<long>();
                for (var i = 0; i < batch; i++)
                {
                    classes[i] = (int)cs[i];
                }
            }
            var cases = new (string, Action)[]
            {
                ("raw chain predict", () => PredictWith(w.Raw.forward)),
                ("model.forward predict", () => PredictWith(w.Model.forward)),
                ("library Predict LibTorchOnly", () => w.Model.Predict(x, InferenceOptions.LibTorchOnly)),
                ("raw bf16 chain predict", () => PredictWith(t => w.RawBFloat16.forward(t.to_type(ScalarType.BFloat16)).to_type(ScalarType.Float32))),
                ("library Predict bf16", () => w.Model.Predict(x, SharedWeights.BFloat16)),
            };
            var calls = batch == 1 ? 3000 : 6;
            var results = cases.Select(_ => new List<double>()).ToArray();
            for (var round = 0; round < 7; round++)
            {
                for (var c = 0; c < cases.Length; c++)
                {
                    var k = round % 2 == 0 ? c : cases.Length - 1 - c;
                    results[k].Add(TargetsRun.Median(cases[k].Item2, calls));
                }
            }
            foreach (var (c, i) in cases.Select((c, i) => (c, i)))
            {
                var m = results[i].Order().ElementAt(3);
                Console.WriteLine($"batch {batch}: {c.Item1,-32} {m,10:F1} us  ({m / results[0].Order().ElementAt(3):F3})");
            }
        }
        return 0;
    }

    // The generic Predict on a LeNet-style CNN at batch 64 against the raw forward + softmax + argmax, 15 alternating
    // rounds, each round's ratio printed (the targets run prints only the median).
    private static int CnnProbe()
    {
        torch.manual_seed(44);
        using var cnn = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding: 2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10));
        cnn.eval();
        using var images = torch.rand(64, 1, 28, 28);
        var probabilities = new float[640];
        var classes = new int[64];
        void Raw()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var p = nn.functional.softmax(cnn.forward(images), 1);
            var c = p.argmax(1);
            p.data<float>().CopyTo(probabilities);
            var cs = c.data<long>();
            for (var i = 0; i < classes.Length; i++)
            {
                classes[i] = (int)cs[i];
            }
        }
        void Library() => cnn.Predict(images);
        for (var round = 0; round < 15; round++)
        {
            double library, raw;
            if (round % 2 == 0)
            {
                library = TargetsRun.Median(Library, 100);
                raw = TargetsRun.Median(Raw, 100);
            }
            else
            {
                raw = TargetsRun.Median(Raw, 100);
                library = TargetsRun.Median(Library, 100);
            }
            Console.WriteLine($"round {round}: library {library:F0} us, raw {raw:F0} us, ratio {library / raw:F3}");
        }
        return 0;
    }
}
