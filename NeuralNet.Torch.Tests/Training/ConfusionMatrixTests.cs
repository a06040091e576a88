using NeuralNet.Torch.Training;

namespace NeuralNet.Torch.Tests.Training;

public sealed class ConfusionMatrixTests
{
    [Test]
    public void ToText_RowsAreActualClasses_ColumnsPredicted_RightAligned()
    {
        var matrix = new ConfusionMatrix(3, [5, 0, 1, 2, 10, 0, 0, 3, 120]);

        matrix.ToText(["cat", "dog", "bird"]).Should().Be(
            "actual \\ predicted   cat   dog  bird\n" +
            "cat                    5     0     1\n" +
            "dog                    2    10     0\n" +
            "bird                   0     3   120\n");
        matrix.Correct.Should().Be(135);
        matrix.Total.Should().Be(141);
        matrix.Recall(0).Should().Be(5.0 / 6);
        matrix.ToRows()[2].Should().Equal(0, 3, 120);
    }

    [Test]
    public void Constructor_WrongCount_NamesExpectedAndFound()
    {
        FluentActions.Invoking(() => new ConfusionMatrix(2, [1, 2, 3])).Should().Throw<ArgumentException>()
            .WithMessage("Expected 2 x 2 = 4 counts; found 3.*");
        FluentActions.Invoking(() => new ConfusionMatrix(1, [1])[1, 0]).Should().Throw<ArgumentOutOfRangeException>();
    }
}
