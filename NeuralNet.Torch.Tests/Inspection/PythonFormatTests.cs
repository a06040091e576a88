using NeuralNet.Torch.Inspection;

namespace NeuralNet.Torch.Tests.Inspection;

// Every expected string is what CPython 3.11 prints for the same double ('{:.Nf}'.format(x), '{:.4e}'.format(x),
// repr(x)); CPython rounds the exact binary value, ties to even.
public sealed class PythonFormatTests
{
    [TestCase(0.125, 2, "0.12", TestName = "Fixed_ExactTieBelow_RoundsToEven")]
    [TestCase(0.375, 2, "0.38", TestName = "Fixed_ExactTieAbove_RoundsToEven")]
    [TestCase(2.5, 0, "2", TestName = "Fixed_HalfToZeroDecimals_RoundsToEven")]
    [TestCase(1.5, 0, "2", TestName = "Fixed_OneAndAHalf_RoundsUpToEven")]
    [TestCase(0.00005, 4, "0.0001", TestName = "Fixed_DecimalTieStoredSlightlyAbove_RoundsUp")]
    [TestCase(1.00005, 4, "1.0001", TestName = "Fixed_OnePointTieStoredSlightlyAbove_RoundsUp")]
    [TestCase(-0.00001, 4, "-0.0000", TestName = "Fixed_SmallNegative_KeepsTheMinusSign")]
    [TestCase(1e20, 0, "100000000000000000000", TestName = "Fixed_LargeValue_PrintsEveryDigit")]
    [TestCase(123.456, 2, "123.46", TestName = "Fixed_Ordinary_RoundsToTwoDecimals")]
    [TestCase(double.NaN, 4, "nan", TestName = "Fixed_NaN_PrintsNan")]
    [TestCase(double.NegativeInfinity, 4, "-inf", TestName = "Fixed_NegativeInfinity_PrintsMinusInf")]
    public void Fixed_Value_MatchesPython(double value, int decimals, string expected) =>
        PythonFormat.Fixed(value, decimals).Should().Be(expected);

    [TestCase(0.125, "1.2500e-01", TestName = "Scientific_Fraction_HasNegativeExponent")]
    [TestCase(9.99996, "1.0000e+01", TestName = "Scientific_RoundingCarry_MovesTheExponent")]
    [TestCase(9.99995e-5, "9.9999e-05", TestName = "Scientific_TieStoredSlightlyBelow_RoundsDown")]
    [TestCase(-0.00001, "-1.0000e-05", TestName = "Scientific_Negative_KeepsTheSign")]
    [TestCase(1e100, "1.0000e+100", TestName = "Scientific_ThreeDigitExponent_PrintsAllDigits")]
    [TestCase(5e-324, "4.9407e-324", TestName = "Scientific_SmallestSubnormal_IsExact")]
    [TestCase(0.0, "0.0000e+00", TestName = "Scientific_Zero_PrintsZeroExponent")]
    [TestCase(-0.0, "-0.0000e+00", TestName = "Scientific_NegativeZero_KeepsTheSign")]
    public void Scientific_Value_MatchesPython(double value, string expected) =>
        PythonFormat.Scientific(value, 4).Should().Be(expected);

    [TestCase(0.01, "0.01")]
    [TestCase(0.5, "0.5")]
    [TestCase(1.0, "1.0")]
    [TestCase(100.0, "100.0")]
    [TestCase(-2.0, "-2.0")]
    [TestCase(0.0001, "0.0001")]
    [TestCase(0.00012, "0.00012")]
    [TestCase(1e-5, "1e-05")]
    [TestCase(1.5e-10, "1.5e-10")]
    [TestCase(1e15, "1000000000000000.0")]
    [TestCase(1e16, "1e+16")]
    [TestCase(123456789012345678.0, "1.2345678901234568e+17")]
    [TestCase(1.7976931348623157e308, "1.7976931348623157e+308")]
    [TestCase(0.30000000000000004, "0.30000000000000004")]
    public void Repr_Double_MatchesPythonRepr(double value, string expected) =>
        PythonFormat.Repr(value).Should().Be(expected);

    // A float literal widened to double prints as the float was written, which is what PyTorch prints for the same
    // literal in Python (repr of the double Python parses from it).
    [TestCase(0.2f, "0.2")]
    [TestCase(0.1f, "0.1")]
    [TestCase(0.01f, "0.01")]
    [TestCase(1e-3f, "0.001")]
    [TestCase(1e-5f, "1e-05")]
    [TestCase(-0.7f, "-0.7")]
    [TestCase(15.5f, "15.5")]
    [TestCase(3.4028235e38f, "3.4028235e+38")]
    [TestCase(-0.0f, "-0.0")]
    public void SettingRepr_FloatWidenedToDouble_IsTheFloatAsWritten(float value, string expected) =>
        PythonFormat.SettingRepr(value).Should().Be(expected);

    [TestCase(0.1, "0.1")]
    [TestCase(1e-5, "1e-05")]
    [TestCase(0.5, "0.5")]
    [TestCase(0.30000000000000004, "0.30000000000000004")]
    [TestCase(0.20000001, "0.20000001")]
    [TestCase(1e300, "1e+300")]
    [TestCase(double.NaN, "nan")]
    [TestCase(double.NegativeInfinity, "-inf")]
    public void SettingRepr_DoubleThatIsNoFloat_IsPythonsRepr(double value, string expected) =>
        PythonFormat.SettingRepr(value).Should().Be(expected);

    [Test]
    public void Tuple_Lengths_MatchPythonTupleRepr()
    {
        PythonFormat.Tuple([]).Should().Be("()");
        PythonFormat.Tuple([5]).Should().Be("(5,)");
        PythonFormat.Tuple([2, 0]).Should().Be("(2, 0)");
    }
}
