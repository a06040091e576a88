using System.Diagnostics;
using System.Reflection;
using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using TorchSharp;

namespace NeuralNet.Torch.Benchmarks;

/// <summary>A quick look at the packed path alone: batch-1 and batch-8 forward time of the frozen model's span API
/// (best of 5 medians) and how often the helper thread joined (input: <c>--rand</c>, <c>--sparse</c> or a fixed
/// pattern). Run it with NEURALNET_PACKED_HELPER=0 to see the one-thread time.</summary>
internal static class ProbeRun
{
    public static int Run(string[] args)
    {
        using var w = new SharedWeights();
        if (args.Contains("--bf16"))
        {
            using var x = torch.rand(4096, 784);
            var steps = new (string, Func<torch.Tensor>)[]
            {
                ("x.to(bf16)", () => x.to_type(torch.ScalarType.BFloat16)),
                ("w0.to(bf16)", () => ((TorchSharp.Modules.Linear)w.Raw[1]).weight.to_type(torch.ScalarType.BFloat16)),
                ("raw bf16 chain forward (input converted)", () => w.RawBFloat16.forward(x.to_type(torch.ScalarType.BFloat16))),
                ("fp32 softmax of logits", () => torch.nn.functional.softmax(torch.rand(4096, 10), 1)),
            };
            foreach (var (name, step) in steps)
            {
                using var noGrad = torch.no_grad();
                var times = new double[30];
                for (var i = 0; i < times.Length; i++)
                {
                    using var scope = torch.NewDisposeScope();
                    var start = Stopwatch.GetTimestamp();
                    step();
                    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
                Array.Sort(times);
                Console.WriteLine($"{name}: median {times[15]:F2} ms");
            }
            foreach (var (name, options) in new[] { ("bf16", SharedWeights.BFloat16), ("libtorch fp32", InferenceOptions.LibTorchOnly) })
            {
                for (var i = 0; i < 3; i++) { w.Model.Predict(x, options); }
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < 10; i++) { w.Model.Predict(x, options); }
                Console.WriteLine($"library Predict {name}: {sw.Elapsed.TotalMilliseconds / 10:F2} ms");
            }
            var pixels = x.data<float>().ToArray();



            Console.WriteLine($"(CountNonFinite probe skipped)");
            return 0;
        }
        if (args.Contains("--forward"))
        {
            using var x1 = torch.rand(1, 784);
            foreach (var round in Enumerable.Range(0, 3))
            {
                foreach (var (name, module) in new (string, Func<torch.Tensor, torch.Tensor>)[]
                         { ("raw", w.Raw.forward), ("library frozen", w.Model.forward), ("library trainable", w.Trainable.forward) })
                {
                    var times = new double[20000];
                    using var noGrad = torch.no_grad();
                    for (var i = 0; i < times.Length; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        module(x1).Dispose();
                        times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                    }
                    Array.Sort(times);
                    Console.WriteLine($"{name} forward batch 1: median {times[10000]:F1} us");
                }
            }
            return 0;
        }
        for (var round = 0; round < 3; round++)
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 100_000; i++)
            {
                PackedInference.IsSupported(w.Model, out _);
            }
            Console.WriteLine($"looking the parameters up (IsSupported): {watch.Elapsed.TotalMicroseconds / 100_000:F3} us");
        }
        foreach (var n in new[] { 1, 8 })
        {
            var x = new float[n * 784];
            // --rand: uniform [0, 1) (no zero pixel); --sparse: 80% exact zeros, like MNIST's background; default: a
            // fixed pattern with every 13th pixel zero.
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = args.Contains("--rand") ? Random.Shared.NextSingle() : args.Contains("--sparse") ? (Random.Shared.NextSingle() < 0.8f ? 0f : Random.Shared.NextSingle()) : (i % 13) / 13f;
            }
            var logits = new float[n * 10];
            var helperType = typeof(PackedInference).Assembly.GetType("NeuralNet.Torch.Inference.HelperThread")!;
            var shared = helperType.GetProperty("Shared", BindingFlags.Public | BindingFlags.Static)!.GetValue(null);
            long Joined() => shared is null ? 0 : (long)helperType.GetProperty("JobsJoined")!.GetValue(shared)!;
            var before = Joined();
            var best = double.MaxValue;
            const int reps = 20000;
            for (var round = 0; round < 5; round++)
            {
                var times = new double[reps];
                for (var i = 0; i < reps; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    w.Frozen.Forward(x, logits);
                    times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                }
                Array.Sort(times);
                best = Math.Min(best, times[reps / 2]);
            }
            Console.WriteLine($"batch {n}: packed forward median {best:F2} us; helper joined {Joined() - before} of {5 * reps} calls (helper {(shared is null ? "off" : "on")})");
        }
        return 0;
    }
}
