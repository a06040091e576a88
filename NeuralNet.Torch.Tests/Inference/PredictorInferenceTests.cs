using NeuralNet.Torch.Inference;
using NeuralNet.Torch.Prediction;
using NeuralNet.Torch.Serving;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;

namespace NeuralNet.Torch.Tests.Inference;

public sealed class PredictorInferenceTests
{
    [Test]
    public void Predictor_ManyThreads_RunOnThePackedPath_AndEqualLibTorchWithin1e5()
    {
        var images = RandomPixels.Images(64, 21);
        torch.manual_seed(8);
        var model = new NeuralNetwork(NeuralNetworkVariant.Quickstart);
        using var batch = torch.tensor(images.SelectMany(i => i).ToArray(), [64, 784]);
        var expected = model.Predict(batch, InferenceOptions.LibTorchOnly);
        using var predictor = new Predictor(model, new PredictorOptions { Device = "cpu", MaxBatchSize = 16 });

        var results = new ClassPrediction[8][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            results[t] = new ClassPrediction[200];
            for (var i = 0; i < 200; i++)
            {
                results[t][i] = predictor.Predict(images[(t * 7 + i) % 64]);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        predictor.PackedBatches.Should().BeGreaterThan(0);
        for (var t = 0; t < 8; t++)
        {
            for (var i = 0; i < 200; i++)
            {
                var e = expected[(t * 7 + i) % 64];
                results[t][i].Class.Should().Be(e.Class);
                results[t][i].Probabilities.Zip(e.Probabilities).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-5f);
            }
        }
    }

    [Test]
    public async Task Predictor_PackedPathOff_RunsLibTorch_WithTheSameResults()
    {
        var images = RandomPixels.Images(4, 22);
        torch.manual_seed(8);
        using var packed = new Predictor(new NeuralNetwork(), new PredictorOptions { Device = "cpu" });
        torch.manual_seed(8);
        using var libtorch = new Predictor(new NeuralNetwork(), new PredictorOptions { Device = "cpu", PackedMaxBatchSize = 0 });

        var a = await packed.PredictBatchAsync(images);
        var b = await libtorch.PredictBatchAsync(images);

        libtorch.PackedBatches.Should().Be(0);
        packed.PackedBatches.Should().Be(1);
        a.Select(p => p.Class).Should().Equal(b.Select(p => p.Class));
        a.Zip(b).Should().OnlyContain(p => p.First.Probabilities.Zip(p.Second.Probabilities).All(q => Math.Abs(q.First - q.Second) <= 1e-5f));
    }

    [Test]
    public void PredictorOptions_PackedMaxBatchSizeOutOfRange_IsAProblem()
    {
        new PredictorOptions { PackedMaxBatchSize = -1 }.Validate().Should().ContainSingle()
            .Which.Should().Be("PackedMaxBatchSize must be between 0 and 4096; found -1.");
        new PredictorOptions { Precision = (InferencePrecision)7 }.Validate().Should().ContainSingle()
            .Which.Should().Be("Precision must be Float32 or BFloat16; found 7.");
    }
}
