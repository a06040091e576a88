using NeuralNet.Torch.Training;

namespace NeuralNet.Torch.Tests.Training;

public sealed class QuickstartTextTests
{
    [Test]
    public void EpochHeaderAndRule_AreTheQuickstartsTwoLines()
    {
        QuickstartText.EpochHeader(1).Should().Be("Epoch 1");
        QuickstartText.Rule.Should().Be(new string('-', 31));
    }

    // The official run's lines (pytorch-formats.md section 5), and Python's padding rules around them.
    [TestCase(2.303494, 64L, 60000L, "loss: 2.303494  [   64/60000]")]
    [TestCase(1.062730, 57664L, 60000L, "loss: 1.062730  [57664/60000]")]
    [TestCase(0.5, 16L, 100L, "loss: 0.500000  [   16/  100]")]
    [TestCase(12.25, 123456L, 1234567L, "loss: 12.250000  [123456/1234567]")]
    [TestCase(double.NaN, 64L, 60000L, "loss:     nan  [   64/60000]")]
    public void LossLine_FormatsLikePythonsSevenFAndFiveD(double loss, long current, long size, string expected)
    {
        QuickstartText.LossLine(loss, current, size).Should().Be(expected);
    }

    [Test]
    public void LossLine_Float32Loss_PrintsTheDoubleItWidensTo()
    {
        // loss.item() hands Python the float32 value widened to double; 2.3034942f is 2.30349421501159667...
        QuickstartText.LossLine(2.3034942f, 64, 60000).Should().Be("loss: 2.303494  [   64/60000]");
    }

    [Test]
    public void TestErrorLines_OfficialRun_PrintsTheBlockWithItsSpaces()
    {
        QuickstartText.TestErrorLines(5390, 10000, 2.168588).Should().Equal(
            "Test Error: ",
            " Accuracy: 53.9%, Avg loss: 2.168588 ",
            "");
    }

    [TestCase(6460L, 10000L, " Accuracy: 64.6%, Avg loss: 1.087374 ")] // 100 * 0.646 = 64.60000000000001
    [TestCase(1L, 16L, " Accuracy: 6.2%, Avg loss: 1.087374 ")]      // 6.25 exactly: Python rounds ties to even
    [TestCase(3L, 16L, " Accuracy: 18.8%, Avg loss: 1.087374 ")]     // 18.75 exactly: to even, upwards
    [TestCase(10000L, 10000L, " Accuracy: 100.0%, Avg loss: 1.087374 ")]
    public void TestErrorLines_Accuracy_RoundsAsPythonDoes(long correct, long size, string expected)
    {
        QuickstartText.TestErrorLines(correct, size, 1.087374)[1].Should().Be(expected);
    }

    [TestCase(0.5, " Accuracy: 50.0%, Avg loss: 0.500000 ")]
    [TestCase(0.0000004, " Accuracy: 50.0%, Avg loss: 0.000000 ")]
    [TestCase(123.4567891, " Accuracy: 50.0%, Avg loss: 123.456789 ")]
    public void TestErrorLines_AverageLoss_IsSixDecimalsInWidthEight(double loss, string expected)
    {
        QuickstartText.TestErrorLines(1, 2, loss)[1].Should().Be(expected);
    }
}
