using NeuralNet.Torch.Inspection;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Inspection;

// How the expected strings were derived: torch cannot be installed here, so each one follows the rules of
// torch/_tensor_str.py (pytorch/pytorch 00cbcb2: _Formatter, _vector_str, _tensor_str_with_formatter,
// get_summarized_data, _add_suffixes, _str_intern) by hand, and was cross-checked with a line-for-line port of those
// functions onto Python lists run under CPython 3.11 (float32 values rounded with struct.pack('f')). The port
// reproduces the official page's Before/After ReLU and parameter texts exactly. Each test says which rule it pins.
public sealed class PyTorchTextTensorTests
{
    [Test]
    public void ToPyTorchString_OfficialBeforeReluRows_ReprintsThePagesText()
    {
        // A real AddmmBackward0 node: Linear(20, 20) with identity weight and zero bias gives back its input exactly.
        using var input = Rows(OfficialOutput.BeforeRelu);
        using var layer = nn.Linear(20, 20);
        using (no_grad())
        {
            layer.weight!.copy_(eye(20));
            layer.bias!.zero_();
        }

        using var hidden = layer.call(input);

        hidden.ToPyTorchString("AddmmBackward0").Should().Be(OfficialOutput.BeforeReluText);
    }

    [Test]
    public void ToPyTorchString_OfficialAfterReluRows_ReprintsThePagesTextWithoutSignColumn()
    {
        using var input = Rows(OfficialOutput.BeforeRelu).requires_grad_();
        using var relu = nn.ReLU();

        using var activated = relu.call(input);

        // No value is negative, so the width is 6 and 9 values fit a line: (80 - 8) / (6 + 2).
        activated.ToPyTorchString("ReluBackward0").Should().Be(OfficialOutput.AfterReluText);
    }

    [Test]
    public void ToPyTorchString_TensorWithUnnamedGradFn_PrintsQuestionMarkAsTheName()
    {
        using var leaf = tensor(new[] { 0.5f, -1.25f }).requires_grad_();
        using var doubled = leaf * 2;

        // TorchSharp cannot tell the node's name (MulBackward0 in PyTorch); the suffix is kept, the name is not made up.
        doubled.ToPyTorchString().Should().Be("tensor([ 1.0000, -2.5000], grad_fn=<?>)");
    }

    [Test]
    public void ToPyTorchString_LeafThatRequiresGrad_PrintsRequiresGradTrue()
    {
        // Scientific: max/min = 1e6 > 1000. Widths: "1.0000e-06" is 10 characters for both values.
        using var leaf = tensor(new[] { 1e-6f, 1f }).requires_grad_();

        leaf.ToPyTorchString().Should().Be("tensor([1.0000e-06, 1.0000e+00], requires_grad=True)");
    }

    [Test]
    public void ToPyTorchString_GradFnNameForALeaf_ThrowsArgumentException()
    {
        using var leaf = tensor(new[] { 1f }).requires_grad_();
        using var plain = tensor(new[] { 1f });

        leaf.Invoking(t => t.ToPyTorchString("SliceBackward0")).Should().Throw<ArgumentException>()
            .WithMessage("*has no grad_fn*leaf*requires_grad=True*");
        plain.Invoking(t => t.ToPyTorchString("SliceBackward0")).Should().Throw<ArgumentException>()
            .WithMessage("*does not require grad*");
        plain.Invoking(t => t.ToPyTorchString(" ")).Should().Throw<ArgumentException>().WithMessage("*must not be empty*");
    }

    [Test]
    public void ToPyTorchString_Parameter_PrintsParameterContainingThenTheTensor()
    {
        using var data = tensor(new[] { -0.3678f, 0.4398f });
        using var parameter = new Parameter(data);

        // torch.nn.Parameter.__repr__ is "Parameter containing:\n" + Tensor.__repr__.
        parameter.ToPyTorchString().Should().Be("Parameter containing:\ntensor([-0.3678,  0.4398], requires_grad=True)");
    }

    [Test]
    public void ToPyTorchString_OfficialWeightSliceOnCuda_SummarisesAndWrapsTheSuffixes()
    {
        // param[:2] of the 512x784 weight: 1568 elements > 1000, so each row shows 3 + ... + 3 items, and only those
        // items decide the format: the hidden middle holds 1e9, which would force scientific notation if it counted.
        using var slice = WeightSlice(middle: 1e9f);

        // The last data line is 69 characters; PyTorch counts it as 71, and 71 + 15 + 2 > 80 puts device='cuda:0' on a
        // new line indented 7; then 22 + 24 + 2 <= 80 keeps grad_fn on that line. (cuda:0 is shown through the
        // formatter's device override: no CUDA here.)
        var text = TensorText.Format(slice, "grad_fn=<SliceBackward0>", deviceText: "cuda:0");

        text.Should().Be(
            "tensor([[ 0.0273,  0.0296, -0.0084,  ..., -0.0142,  0.0093,  0.0135],\n" +
            "        [-0.0188, -0.0354,  0.0187,  ..., -0.0106, -0.0001,  0.0115]],\n" +
            "       device='cuda:0', grad_fn=<SliceBackward0>)");
    }

    [Test]
    public void ToPyTorchString_WeightSliceOnCpu_PutsTheGradFnOnItsOwnLine()
    {
        using var weight = WeightSlice(middle: 0f).requires_grad_();
        using var slice = weight.narrow(0, 0, 2);

        // Without the device suffix: 71 + 24 + 2 > 80, so grad_fn goes to a new line.
        slice.ToPyTorchString("SliceBackward0").Should().Be(
            "tensor([[ 0.0273,  0.0296, -0.0084,  ..., -0.0142,  0.0093,  0.0135],\n" +
            "        [-0.0188, -0.0354,  0.0187,  ..., -0.0106, -0.0001,  0.0115]],\n" +
            "       grad_fn=<SliceBackward0>)");
    }

    [Test]
    [Category("CUDA")]
    public void ToPyTorchString_CudaTensor_PrintsTheDeviceSuffix()
    {
        if (!Devices.IsCudaAvailable)
        {
            Assert.Ignore("Needs CUDA (a TorchSharp CUDA backend and an NVIDIA GPU); not available here.");
        }
        using var cpu = tensor(new long[] { 7 });
        using var gpu = cpu.to(CUDA);

        // The quickstart's "Predicted class: tensor([7], device='cuda:0')".
        gpu.ToPyTorchString().Should().Be("tensor([7], device='cuda:0')");
    }

    [TestCase(new[] { 0.5f, 0.25f, 1.75f }, "tensor([0.5000, 0.2500, 1.7500])", TestName = "ToPyTorchString_NonNegativeValues_DropTheSignColumn")]
    [TestCase(new[] { 0.5f, -0.25f, 1.75f }, "tensor([ 0.5000, -0.2500,  1.7500])", TestName = "ToPyTorchString_ANegativeValue_AddsTheSignColumn")]
    [TestCase(new[] { 1f, 12345.678f, 0.5f }, "tensor([1.0000e+00, 1.2346e+04, 5.0000e-01])", TestName = "ToPyTorchString_RangeOverAThousand_UsesScientificNotation")]
    [TestCase(new[] { 0.5f, 0.00001234f, 0.25f }, "tensor([5.0000e-01, 1.2340e-05, 2.5000e-01])", TestName = "ToPyTorchString_ValueBelow1eMinus4_UsesScientificNotation")]
    [TestCase(new[] { 1f, 2e9f }, "tensor([1.0000e+00, 2.0000e+09])", TestName = "ToPyTorchString_IntegerValuesOver1e8_UseScientificNotation")]
    [TestCase(new[] { 1f, -2f, 0f, 30f }, "tensor([ 1., -2.,  0., 30.])", TestName = "ToPyTorchString_IntegerValuedFloats_PrintWithATrailingPoint")]
    [TestCase(new[] { 1f, 5000f }, "tensor([1.0000e+00, 5.0000e+03])", TestName = "ToPyTorchString_IntegerValuedFloatsOverAThousandApart_UseScientificNotation")]
    [TestCase(new[] { 0f, 0f, 0f }, "tensor([0., 0., 0.])", TestName = "ToPyTorchString_AllZeros_PrintInIntegerMode")]
    [TestCase(new[] { float.NaN, float.PositiveInfinity, 1.5f, float.NegativeInfinity }, "tensor([   nan,    inf, 1.5000,   -inf])", TestName = "ToPyTorchString_NonFiniteValues_PrintAsNanAndInf")]
    [TestCase(new[] { float.NaN, float.NaN }, "tensor([nan, nan])", TestName = "ToPyTorchString_OnlyNaN_PrintsBareNan")]
    [TestCase(new[] { 0.03125f, 0.5f }, "tensor([0.0312, 0.5000])", TestName = "ToPyTorchString_ExactTie_RoundsHalfToEvenAsPython")]
    [TestCase(new[] { -0f, 0.5f }, "tensor([-0.0000, 0.5000])", TestName = "ToPyTorchString_NegativeZero_KeepsItsSign")]
    public void ToPyTorchString_Float32Vector_FollowsPyTorchsFormatter(float[] values, string expected)
    {
        // Rules (_Formatter): only nonzero finite values decide; integer mode when all are integers; scientific when
        // max/min > 1000, max > 1e8, or (non-integer) min < 1e-4; the width is the longest formatted value, so the
        // sign column exists only when some value is negative. Python rounds exact binary ties to even: 0.03125 ->
        // 0.0312. -0.0 is excluded from the width (so it is not
        // padded, and a lone 0.5 gets no sign column) but keeps its sign when formatted.
        using var t = tensor(values);

        t.ToPyTorchString().Should().Be(expected);
    }

    [Test]
    public void ToPyTorchString_ThirtyValues_WrapsAtEightPerLine()
    {
        // Width 7 (sign column), so (80 - 7) / 9 = 8 elements per line, continuation indented 8.
        using var t = tensor(Enumerable.Range(0, 30).Select(i => (float)(i * 0.37 - 5)).ToArray());

        t.ToPyTorchString().Should().Be(
            "tensor([-5.0000, -4.6300, -4.2600, -3.8900, -3.5200, -3.1500, -2.7800, -2.4100,\n" +
            "        -2.0400, -1.6700, -1.3000, -0.9300, -0.5600, -0.1900,  0.1800,  0.5500,\n" +
            "         0.9200,  1.2900,  1.6600,  2.0300,  2.4000,  2.7700,  3.1400,  3.5100,\n" +
            "         3.8800,  4.2500,  4.6200,  4.9900,  5.3600,  5.7300])");
    }

    [Test]
    public void ToPyTorchString_Int64_PrintsIntegersWithoutDtype()
    {
        // int64 is a "default" dtype for printing; str(int) values right-aligned to the longest (3).
        using var t = tensor(new long[] { 1, -20, 300 });

        t.ToPyTorchString().Should().Be("tensor([  1, -20, 300])");
    }

    [Test]
    public void ToPyTorchString_LongInt64Vector_SummarisesWithEllipsis()
    {
        // 1001 elements > 1000: 0, 1, 2, ..., 998, 999, 1000; width 4 from the shown items only.
        using var t = arange(1001L);

        t.ToPyTorchString().Should().Be("tensor([   0,    1,    2,  ...,  998,  999, 1000])");
    }

    [Test]
    public void ToPyTorchString_Int32Matrix_AddsTheDtype()
    {
        using var t = tensor(new[] { 1, 2, 3, 4 }, new long[] { 2, 2 });

        t.ToPyTorchString().Should().Be("tensor([[1, 2],\n        [3, 4]], dtype=torch.int32)");
    }

    [Test]
    public void ToPyTorchString_UInt8_AddsTheDtype()
    {
        using var t = tensor(new byte[] { 0, 255 });

        t.ToPyTorchString().Should().Be("tensor([  0, 255], dtype=torch.uint8)");
    }

    [Test]
    public void ToPyTorchString_Bool_PrintsTrueFalseRightAligned()
    {
        using var t = tensor(new[] { true, false, true });

        t.ToPyTorchString().Should().Be("tensor([ True, False,  True])");
    }

    [Test]
    public void ToPyTorchString_Float64_AddsTheDtype()
    {
        using var t = tensor(new[] { 1.0 / 3, 2.5, -0.125 });

        t.ToPyTorchString().Should().Be("tensor([ 0.3333,  2.5000, -0.1250], dtype=torch.float64)");
    }

    [Test]
    public void ToPyTorchString_Float16_FormatsAsFloatAndAddsTheDtype()
    {
        using var single = tensor(new[] { 0.5f, 1.5f });
        using var t = single.to_type(ScalarType.Float16);

        t.ToPyTorchString().Should().Be("tensor([0.5000, 1.5000], dtype=torch.float16)");
    }

    [TestCase(3.14159265f, "tensor(3.1416)")]
    [TestCase(-2.5f, "tensor(-2.5000)")]
    [TestCase(7f, "tensor(7.)")]
    public void ToPyTorchString_ZeroDimFloat_PrintsTheValueAlone(float value, string expected)
    {
        using var t = tensor(value);

        t.ToPyTorchString().Should().Be(expected);
    }

    [Test]
    public void ToPyTorchString_ZeroDimInt64_PrintsTheInteger()
    {
        using var t = tensor(7L);

        t.ToPyTorchString().Should().Be("tensor(7)");
    }

    [Test]
    public void ToPyTorchString_EmptyTensors_PrintBracketsWithSizeAndDtypeAsPyTorch()
    {
        // Empty: "[]"; size=(...) unless the shape is (0,); dtype unless float32 (int64 too: no element shows it).
        using var empty = zeros(0);
        using var emptyInt = zeros(new long[] { 0 }, ScalarType.Int64);
        using var emptyMatrix = zeros(2, 0);

        empty.ToPyTorchString().Should().Be("tensor([])");
        emptyInt.ToPyTorchString().Should().Be("tensor([], dtype=torch.int64)");
        emptyMatrix.ToPyTorchString().Should().Be("tensor([], size=(2, 0))");
    }

    [Test]
    public void ToPyTorchString_ThreeDimensions_SeparatesBlocksWithAnEmptyLine()
    {
        using var t = arange(8f).reshape(2, 2, 2);

        t.ToPyTorchString().Should().Be(
            "tensor([[[0., 1.],\n" +
            "         [2., 3.]],\n" +
            "\n" +
            "        [[4., 5.],\n" +
            "         [6., 7.]]])");
    }

    [Test]
    public void ToPyTorchString_LargeThreeDimensional_SummarisesTheLongDimensionOnly()
    {
        // arange(1200.) as 2x3x200: 1200 > 1000 elements; only the 200-long dimension has more than 6 items. The
        // shown values span 0..1199, max/min = 1199 > 1000: scientific, width 10, (80 - 9) / 12 = 5 per line.
        using var t = arange(1200f).reshape(2, 3, 200);

        t.ToPyTorchString().Should().Be(
            "tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9700e+02,\n" +
            "          1.9800e+02, 1.9900e+02],\n" +
            "         [2.0000e+02, 2.0100e+02, 2.0200e+02,  ..., 3.9700e+02,\n" +
            "          3.9800e+02, 3.9900e+02],\n" +
            "         [4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 5.9700e+02,\n" +
            "          5.9800e+02, 5.9900e+02]],\n" +
            "\n" +
            "        [[6.0000e+02, 6.0100e+02, 6.0200e+02,  ..., 7.9700e+02,\n" +
            "          7.9800e+02, 7.9900e+02],\n" +
            "         [8.0000e+02, 8.0100e+02, 8.0200e+02,  ..., 9.9700e+02,\n" +
            "          9.9800e+02, 9.9900e+02],\n" +
            "         [1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.1970e+03,\n" +
            "          1.1980e+03, 1.1990e+03]]])");
    }

    [Test]
    public void ToPyTorchString_TallColumn_SummarisesRowsWithABareEllipsis()
    {
        using var t = arange(1001L).reshape(1001, 1);

        t.ToPyTorchString().Should().Be(
            "tensor([[   0],\n        [   1],\n        [   2],\n        ...,\n        [ 998],\n        [ 999],\n        [1000]])");
    }

    [Test]
    public void ToPyTorchString_MetaTensor_PrintsEllipsisDeviceAndSize()
    {
        // Meta tensors have no data: "...", then device='meta' and size=(2, 3) (dtype only if not float32).
        using var t = empty(new long[] { 2, 3 }, device: new Device(DeviceType.META));

        t.ToPyTorchString().Should().Be("tensor(..., device='meta', size=(2, 3))");
    }

    [Test]
    public void ToPyTorchString_ComplexTensor_ThrowsNotSupported()
    {
        using var t = zeros(new long[] { 2 }, ScalarType.ComplexFloat32);

        t.Invoking(x => x.ToPyTorchString()).Should().Throw<NotSupportedException>().WithMessage("*ComplexFloat32*");
    }

    [Test]
    public void ToPyTorchString_QuantizedTensor_ThrowsNotSupported()
    {
        using var real = tensor(new[] { 0.5f, 1.0f });
        using var quantized = quantize_per_tensor(real, 0.1, 0, ScalarType.QInt8);

        quantized.Invoking(x => x.ToPyTorchString()).Should().Throw<NotSupportedException>().WithMessage("*QInt8*");
    }

    [Test]
    public void ToPyTorchString_NullTensor_ThrowsArgumentNullException()
    {
        var act = () => ((Tensor)null!).ToPyTorchString();

        act.Should().Throw<ArgumentNullException>();
    }

    [Test]
    public void ToPyTorchString_ManyTensors_LeavesNoLiveTensorsBehind()
    {
        using var big = rand(600, 784);
        using var leaf = rand(3, 20).requires_grad_();
        using var small = tensor(new long[] { 1, 2, 3 });
        using var scalar = tensor(1.5);

        var added = LeakCheck.LiveTensorsAddedBy(() =>
        {
            _ = big.ToPyTorchString();
            _ = leaf.ToPyTorchString();
            _ = small.ToPyTorchString();
            _ = scalar.ToPyTorchString();
        }, repetitions: 50);

        added.Should().Be(0);
    }

    [Test]
    public void ToTorchSize_Shapes_PrintAsTorchSize()
    {
        new long[] { 512, 784 }.ToTorchSize().Should().Be("torch.Size([512, 784])");
        new long[] { 512 }.ToTorchSize().Should().Be("torch.Size([512])");
        Array.Empty<long>().ToTorchSize().Should().Be("torch.Size([])");
    }

    private static Tensor Rows(float[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });

    /// <summary>A 2x784 tensor whose shown edges are the page's <c>linear_relu_stack.0.weight[:2]</c> values.</summary>
    private static Tensor WeightSlice(float middle)
    {
        var rows = OfficialOutput.ParameterEdges[0].Rows;
        var values = new float[2 * 784];
        Array.Fill(values, middle);
        for (var r = 0; r < 2; r++)
        {
            for (var i = 0; i < 3; i++)
            {
                values[(r * 784) + i] = rows[r][i];
                values[(r * 784) + 781 + i] = rows[r][3 + i];
            }
        }
        return tensor(values, new long[] { 2, 784 });
    }
}
