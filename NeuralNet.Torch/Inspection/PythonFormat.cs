using System.Globalization;
using System.Numerics;

namespace NeuralNet.Torch.Inspection;

/// <summary>
/// Python's number formatting, reproduced exactly: <c>'{:.Nf}'</c>, <c>'{:.Ne}'</c> and <c>repr(float)</c>.
/// </summary>
/// <remarks>
/// Python rounds the exact binary value of a double, ties to even (<c>'{:.2f}'.format(0.125)</c> is <c>0.12</c>);
/// .NET's <c>"F"</c> format rounds ties away from zero. So the digits are computed here with exact integer
/// arithmetic: a double is <c>m * 2^e</c>, and <c>m * 2^e * 10^N</c> is rounded to an integer, ties to even.
/// NaN prints <c>nan</c> and infinities <c>inf</c> / <c>-inf</c>, as Python prints them; the sign of a negative
/// zero, or of a negative value that rounds to zero, is kept (<c>-0.0000</c>).
/// </remarks>
internal static class PythonFormat
{
    /// <summary>Python's <c>'{:.Nf}'.format(value)</c>.</summary>
    public static string Fixed(double value, int decimals)
    {
        if (!double.IsFinite(value))
        {
            return NonFinite(value);
        }
        var (mantissa, exponent2) = Decompose(value);
        var digits = RoundScaled(mantissa, exponent2, decimals).ToString(CultureInfo.InvariantCulture)
            .PadLeft(decimals + 1, '0');
        var text = decimals == 0 ? digits : digits[..^decimals] + "." + digits[^decimals..];
        return double.IsNegative(value) ? "-" + text : text;
    }

    /// <summary>Python's <c>'{:.Ne}'.format(value)</c>: one digit, a point, N digits, then <c>e+XX</c> / <c>e-XX</c>
    /// (at least two exponent digits).</summary>
    public static string Scientific(double value, int decimals)
    {
        if (!double.IsFinite(value))
        {
            return NonFinite(value);
        }
        var sign = double.IsNegative(value) ? "-" : "";
        BigInteger digits;
        var exponent10 = 0;
        if (value == 0)
        {
            digits = BigInteger.Zero;
        }
        else
        {
            var (mantissa, exponent2) = Decompose(value);
            var lower = BigInteger.Pow(10, decimals);
            var upper = lower * 10;
            exponent10 = (int)Math.Floor(Math.Log10(Math.Abs(value)));
            while (true)
            {
                // digits = round(|value| * 10^(decimals - exponent10)), exactly.
                digits = RoundScaled(mantissa, exponent2, decimals - exponent10);
                if (digits >= upper)
                {
                    exponent10++;
                }
                else if (digits < lower)
                {
                    exponent10--;
                }
                else
                {
                    break;
                }
            }
        }
        var text = digits.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        var mantissaText = decimals == 0 ? text : text[..1] + "." + text[1..];
        var exponentText = Math.Abs(exponent10).ToString("00", CultureInfo.InvariantCulture);
        return $"{sign}{mantissaText}e{(exponent10 < 0 ? '-' : '+')}{exponentText}";
    }

    /// <summary>Python's <c>repr(value)</c> for a float: the shortest digits that round-trip, in positional
    /// notation with at least one decimal (<c>0.5</c>, <c>1.0</c>, <c>0.0001</c>) when the decimal exponent is in
    /// <c>[-4, 16)</c>, else in scientific notation (<c>1e-05</c>, <c>1e+16</c>, <c>1.5e+20</c>).</summary>
    public static string Repr(double value) =>
        double.IsFinite(value) ? Layout(Math.Abs(value).ToString("R", CultureInfo.InvariantCulture), double.IsNegative(value)) : NonFinite(value);

    /// <summary>A float layer setting (dropout's <c>p</c>, <c>eps</c>, <c>momentum</c>, <c>negative_slope</c>, ...) as
    /// the user wrote it: a double that is exactly a float32 value prints the float's shortest round-trip digits, in
    /// <see cref="Repr(double)"/>'s layout; any other double prints as <see cref="Repr(double)"/>.</summary>
    /// <remarks>TorchSharp's constructors take these settings as doubles, and C# callers often pass float literals
    /// (TorchVision's GoogLeNet passes <c>0.2f</c>): the widened <c>0.2f</c> is the double 0.20000000298023224, whose
    /// Python repr is not the <c>0.2</c> PyTorch prints. A double the user wrote (0.1, 1e-05) is not exactly a float,
    /// so it keeps its own digits; one that is (0.5, 0.25) has the same shortest digits either way.</remarks>
    public static string SettingRepr(double value)
    {
        var single = (float)value;
        return double.IsFinite(value) && single == value
            ? Layout(Math.Abs(single).ToString("R", CultureInfo.InvariantCulture), double.IsNegative(value))
            : Repr(value);
    }

    /// <summary>Python's <c>repr</c> of an int or bool value.</summary>
    public static string Repr(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Python's <c>repr</c> of a bool: <c>True</c> / <c>False</c>.</summary>
    public static string Repr(bool value) => value ? "True" : "False";

    /// <summary>Python's <c>repr</c> of a tuple of ints: <c>()</c>, <c>(5,)</c>, <c>(2, 3)</c>.</summary>
    public static string Tuple(IReadOnlyList<long> values) => values.Count switch
    {
        0 => "()",
        1 => $"({Repr(values[0])},)",
        _ => "(" + string.Join(", ", values.Select(Repr)) + ")",
    };

    /// <summary>How PyTorch prints a size setting that the user may have written as an int or a tuple
    /// (<c>kernel_size=2</c> or <c>(2, 3)</c>) when TorchSharp keeps only the array: the int when every element is
    /// equal (the form nearly every PyTorch model uses), the tuple otherwise.</summary>
    public static string IntOrTuple(IReadOnlyList<long> values) =>
        values.Count > 0 && values.All(v => v == values[0]) ? Repr(values[0]) : Tuple(values);

    /// <summary>Python's <c>repr</c> of a tuple of float settings (<see cref="SettingRepr"/>): <c>(2.0,)</c>, <c>(2.0, 3.0)</c>.</summary>
    public static string FloatTuple(IReadOnlyList<double> values) => values.Count switch
    {
        0 => "()",
        1 => $"({SettingRepr(values[0])},)",
        _ => "(" + string.Join(", ", values.Select(SettingRepr)) + ")",
    };

    /// <summary>The float form of <see cref="IntOrTuple"/>: one float when every element is equal, else the tuple;
    /// each element a setting (<see cref="SettingRepr"/>).</summary>
    public static string FloatOrTuple(IReadOnlyList<double> values) =>
        values.Count > 0 && values.All(v => v.Equals(values[0])) ? SettingRepr(values[0]) : FloatTuple(values);

    /// <summary>Python's float repr layout of .NET's shortest round-trip text of a non-negative finite value
    /// ("0.01", "1E-05", "1.5E+20"): positional with at least one decimal when the decimal exponent is in
    /// <c>[-4, 16)</c>, else scientific.</summary>
    private static string Layout(string roundTrip, bool negative)
    {
        var sign = negative ? "-" : "";
        var (digits, pointPosition) = SplitDigits(roundTrip);
        if (digits == "0")
        {
            return sign + "0.0";
        }
        var exponent = pointPosition - 1;
        if (exponent is >= -4 and < 16)
        {
            string text;
            if (pointPosition <= 0)
            {
                text = "0." + new string('0', -pointPosition) + digits;
            }
            else if (pointPosition >= digits.Length)
            {
                text = digits + new string('0', pointPosition - digits.Length) + ".0";
            }
            else
            {
                text = digits[..pointPosition] + "." + digits[pointPosition..];
            }
            return sign + text;
        }
        var mantissa = digits.Length == 1 ? digits : digits[..1] + "." + digits[1..];
        var exponentText = Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        return $"{sign}{mantissa}e{(exponent < 0 ? '-' : '+')}{exponentText}";
    }

    private static string NonFinite(double value) =>
        double.IsNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";

    /// <summary>|value| = mantissa * 2^exponent2, exactly.</summary>
    private static (BigInteger Mantissa, int Exponent2) Decompose(double value)
    {
        var bits = BitConverter.DoubleToInt64Bits(Math.Abs(value));
        var biased = (int)((bits >> 52) & 0x7FF);
        var fraction = bits & 0xF_FFFF_FFFF_FFFFL;
        return biased == 0 ? (fraction, -1074) : (fraction | (1L << 52), biased - 1075);
    }

    /// <summary>round(mantissa * 2^exponent2 * 10^power10), ties to even, with exact integer arithmetic.</summary>
    private static BigInteger RoundScaled(BigInteger mantissa, int exponent2, int power10)
    {
        var numerator = mantissa;
        var denominator = BigInteger.One;
        if (power10 >= 0)
        {
            numerator *= BigInteger.Pow(10, power10);
        }
        else
        {
            denominator *= BigInteger.Pow(10, -power10);
        }
        if (exponent2 >= 0)
        {
            numerator <<= exponent2;
        }
        else
        {
            denominator <<= -exponent2;
        }
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        var comparison = (remainder * 2).CompareTo(denominator);
        if (comparison > 0 || (comparison == 0 && !quotient.IsEven))
        {
            quotient += 1;
        }
        return quotient;
    }

    /// <summary>Splits .NET's round-trip text ("0.01", "123", "1E-05", "1.5E+20") into its significant digits and
    /// the position of the decimal point relative to the first digit.</summary>
    private static (string Digits, int PointPosition) SplitDigits(string text)
    {
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var point = text.IndexOf('.', StringComparison.Ordinal);
        var integerPart = point >= 0 ? text[..point] : text;
        var fractionPart = point >= 0 ? text[(point + 1)..] : "";
        var all = integerPart + fractionPart;
        var pointPosition = integerPart.Length + exponent;
        var leadingZeros = all.Length - all.TrimStart('0').Length;
        all = all[leadingZeros..];
        pointPosition -= leadingZeros;
        all = all.TrimEnd('0');
        return (all.Length == 0 ? "0" : all, pointPosition);
    }
}
