using NeuralNet.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Data;

public sealed class TensorDatasetTests
{
    [Test]
    public void BatchLoader_OverInt64TokensUnshuffled_YieldsViewsInOrderWithTheRemainder()
    {
        using var tokens = torch.arange(10 * 3, ScalarType.Int64).reshape(10, 3);
        using var labels = torch.arange(10, ScalarType.Int64);
        using var data = new TensorDataset(tokens, labels);
        using var loader = new BatchLoader(data, batchSize: 4);

        var sizes = new List<long>();
        foreach (var batch in loader)
        {
            using (batch)
            {
                batch.Inputs.dtype.Should().Be(ScalarType.Int64);
                batch.Inputs.storage_offset().Should().Be(batch.Offset * 3, "a view of the dataset's storage, not a copy");
                batch.Inputs[.., 0].data<long>().ToArray().Should().Equal(batch.Labels.data<long>().ToArray().Select(l => l * 3));
                sizes.Add(batch.Size);
            }
        }

        data.Count.Should().Be(10);
        sizes.Should().Equal(4, 4, 2);
    }

    [Test]
    public void BatchLoader_ShuffledFloatTargets_KeepsInputsAndTargetsTogether()
    {
        using var inputs = torch.arange(8, ScalarType.Float32).reshape(8, 1);
        using var targets = torch.arange(8, ScalarType.Float32).reshape(8, 1).mul(2).expand(8, 3).contiguous();
        using var data = new TensorDataset(inputs, targets);
        using var loader = new BatchLoader(data, batchSize: 3, shuffle: true, seed: 3);

        var seen = new List<float>();
        foreach (var batch in loader)
        {
            using (batch)
            {
                batch.Labels.shape.Should().Equal(batch.Size, 3);
                using var twice = batch.Inputs.mul(2).expand(batch.Size, 3);
                batch.Labels.equal(twice).all().item<bool>().Should().BeTrue();
                seen.AddRange(batch.Inputs.data<float>().ToArray());
            }
        }

        seen.Order().Should().Equal(0, 1, 2, 3, 4, 5, 6, 7);
        seen.Should().NotEqual(new float[] { 0, 1, 2, 3, 4, 5, 6, 7 });
    }

    [Test]
    public void Constructor_CountMismatch_NamesBothCounts()
    {
        using var inputs = torch.zeros(5, 4);
        using var labels = torch.zeros(new long[] { 6 }, ScalarType.Int64);

        FluentActions.Invoking(() => new TensorDataset(inputs, labels)).Should().Throw<ArgumentException>()
            .WithMessage("Expected one label per input; found 5 inputs [5, 4] and 6 labels [6].*");
    }

    [Test]
    public void Constructor_ZeroDimensionalTensor_Throws()
    {
        using var scalar = torch.tensor(1f);
        using var labels = torch.zeros(new long[] { 1 }, ScalarType.Int64);

        FluentActions.Invoking(() => new TensorDataset(scalar, labels)).Should().Throw<ArgumentException>()
            .WithMessage("Expected a CPU tensor [N, ...] with at least one dimension; found Float32 [] on cpu*");
    }

    [Test]
    public void Dispose_OwnReferencesOnly_TheCallersTensorsStayUsable()
    {
        using var inputs = torch.ones(3, 2);
        using var labels = torch.zeros(new long[] { 3 }, ScalarType.Int64);
        var data = new TensorDataset(inputs, labels);

        data.Dispose();
        data.Dispose();

        data.IsDisposed.Should().BeTrue();
        inputs.sum().item<float>().Should().Be(6);
        FluentActions.Invoking(() => data.Inputs).Should().Throw<ObjectDisposedException>();
        FluentActions.Invoking(() => new BatchLoader(data)).Should().Throw<ObjectDisposedException>();
    }
}
