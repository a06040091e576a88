using NeuralNet.Torch.Data;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Data;

public sealed class BatchLoaderTests
{
    private static readonly string[] Classes = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    private ImageDataset _dataset = null!;

    [SetUp]
    public void CreateDataset()
    {
        // 10 images of 1x2x2 whose pixels all equal the sample's index, labels index % 10: a batch shows which rows it took.
        using var images = torch.arange(10, ScalarType.Float32).reshape(10, 1, 1, 1).expand(10, 1, 2, 2).contiguous();
        using var labels = torch.arange(10, ScalarType.Int64);
        _dataset = new ImageDataset(images, labels, Classes);
    }

    [TearDown]
    public void DisposeDataset() => _dataset.Dispose();

    [Test]
    public void Enumerate_Unshuffled_YieldsFullBatchesThenTheRemainderInOrder()
    {
        using var loader = new BatchLoader(_dataset, batchSize: 4);

        var seen = Batches(loader);

        loader.BatchCount.Should().Be(3);
        loader.SampleCount.Should().Be(10);
        seen.Select(b => b.Labels.Length).Should().Equal(4, 4, 2);
        seen.SelectMany(b => b.Labels).Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        seen.Select(b => b.Index).Should().Equal(0, 1, 2);
        seen.Select(b => b.Offset).Should().Equal(0, 4, 8);
    }

    [Test]
    public void Enumerate_ImagesAndLabelsOfABatch_BelongTogether()
    {
        using var loader = new BatchLoader(_dataset, batchSize: 3, shuffle: true, seed: 11);

        foreach (var batch in loader)
        {
            using (batch)
            {
                batch.Inputs.shape.Should().Equal(batch.Size, 1, 2, 2);
                var firstPixels = batch.Inputs.select(2, 0).select(2, 0).select(1, 0).data<float>().ToArray();
                firstPixels.Should().Equal(batch.Labels.data<long>().ToArray().Select(l => (float)l));
            }
        }
    }

    [Test]
    public void Enumerate_Shuffled_EachEpochIsAPermutationAndEpochsDiffer()
    {
        using var loader = new BatchLoader(_dataset, batchSize: 4, shuffle: true, seed: 42);

        var first = Batches(loader).SelectMany(b => b.Labels).ToArray();
        var second = Batches(loader).SelectMany(b => b.Labels).ToArray();

        first.Order().Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        second.Order().Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        first.Should().NotEqual(second, "each epoch draws a new order from the seeded generator");
        first.Should().NotEqual(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 });
    }

    [Test]
    public void Enumerate_SameSeed_RepeatsTheSameEpochs_AndStartsWithRandpermOfThatSeed()
    {
        using var a = new BatchLoader(_dataset, batchSize: 4, shuffle: true, seed: 7);
        using var b = new BatchLoader(_dataset, batchSize: 4, shuffle: true, seed: 7);
        using var generator = new torch.Generator(7);
        using var expected = torch.randperm(10, generator: generator);

        var a1 = Batches(a).SelectMany(x => x.Labels).ToArray();
        var a2 = Batches(a).SelectMany(x => x.Labels).ToArray();
        var b1 = Batches(b).SelectMany(x => x.Labels).ToArray();
        var b2 = Batches(b).SelectMany(x => x.Labels).ToArray();

        b1.Should().Equal(a1);
        b2.Should().Equal(a2);
        a1.Should().Equal(expected.data<long>().ToArray(), "the first epoch is randperm(n) from a generator seeded with the seed");
    }

    [Test]
    public void Enumerate_WithoutSeed_FollowsTorchManualSeed()
    {
        using var loader = new BatchLoader(_dataset, batchSize: 10, shuffle: true);

        torch.manual_seed(3);
        var first = Batches(loader).SelectMany(x => x.Labels).ToArray();
        torch.manual_seed(3);
        var again = Batches(loader).SelectMany(x => x.Labels).ToArray();

        again.Should().Equal(first);
    }

    [Test]
    public void Enumerate_UnshuffledBatches_AreViewsOfTheDataset()
    {
        using var loader = new BatchLoader(_dataset, batchSize: 4);
        using var enumerator = loader.GetEnumerator();
        enumerator.MoveNext().Should().BeTrue();
        enumerator.Current.Dispose();
        enumerator.MoveNext().Should().BeTrue();
        using var batch = enumerator.Current;

        batch.Inputs.storage_offset().Should().Be(4 * 4, "the second batch is a view starting at sample 4 (4 values each): no epoch copies the set");
        batch.Labels.storage_offset().Should().Be(4);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Enumerate_DisposingEachBatch_LeavesNoTensorsBehind(bool shuffle)
    {
        using var loader = new BatchLoader(_dataset, batchSize: 3, shuffle: shuffle, seed: 1);

        var added = LeakCheck.LiveTensorsAddedBy(() =>
        {
            foreach (var batch in loader)
            {
                batch.Dispose();
            }
        }, repetitions: 20);

        added.Should().Be(0);
    }

    [Test]
    public void Enumerate_InsideACallersDisposeScope_KeepsThePermutationAlive()
    {
        using var loader = new BatchLoader(_dataset, batchSize: 2, shuffle: true, seed: 5);
        var labels = new List<long>();
        using var enumerator = loader.GetEnumerator();
        while (true)
        {
            // The pattern the training loop uses: a scope per step, opened before MoveNext.
            using var scope = torch.NewDisposeScope();
            if (!enumerator.MoveNext())
            {
                break;
            }
            labels.AddRange(enumerator.Current.Labels.data<long>().ToArray());
        }

        labels.Order().Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    [Test]
    public void Constructor_BatchSizeBelowOne_Throws()
    {
        FluentActions.Invoking(() => new BatchLoader(_dataset, batchSize: 0)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [TestCaseSource(typeof(TestDevices), nameof(TestDevices.All))]
    public void Enumerate_WithADevice_PutsBatchesThere(string deviceName)
    {
        var device = TestDevices.Get(deviceName);
        using var loader = new BatchLoader(_dataset, batchSize: 4, shuffle: true, seed: 2, device: device);

        foreach (var batch in loader)
        {
            using (batch)
            {
                batch.Inputs.device_type.Should().Be(device.type);
                batch.Labels.device_type.Should().Be(device.type);
            }
        }
    }

    private static List<(int Index, long Offset, long[] Labels)> Batches(BatchLoader loader)
    {
        var result = new List<(int, long, long[])>();
        foreach (var batch in loader)
        {
            using (batch)
            {
                result.Add((batch.Index, batch.Offset, batch.Labels.data<long>().ToArray()));
            }
        }
        return result;
    }
}
