using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Oracle;

/// <summary>The harness itself: what a script writes comes back intact, and a broken script or manifest fails the
/// test with the script's own error (never a pass, never a skip).</summary>
[Category(PyTorchOracle.Category)]
public sealed class OracleHarnessTests
{
    [Test]
    public void Run_ScriptWritingEveryDtype_ReadsBackValuesShapesTextsAndFiles()
    {
        using var run = PyTorchOracle.Run("harness_selftest.py", "ok");

        run.TorchVersion.Should().Be(PyTorchOracle.TorchVersion);
        run.Array("values.float32").ToFloat32().Should().Equal(0f, -1.5f, 2.25f, float.PositiveInfinity);
        run.Array("values.float64").ToFloat64().Should().Equal(0d, -1.5d, 2.25d, double.PositiveInfinity);
        foreach (var dtype in new[] { "float16", "bfloat16" })
        {
            using var t = run.Array($"values.{dtype}").ToTensor();
            t.dtype.Should().Be(dtype == "float16" ? ScalarType.Float16 : ScalarType.BFloat16);
            using var f = t.to_type(ScalarType.Float32);
            f.data<float>().ToArray().Should().Equal(0f, -1.5f, 2.25f, float.PositiveInfinity);
        }
        foreach (var dtype in new[] { "int8", "int16", "int32", "int64", "uint8" })
        {
            var ints = run.Array($"ints.{dtype}");
            ints.Shape.Should().Equal(2, 3);
            using var t = ints.ToTensor();
            using var longs = t.to_type(ScalarType.Int64);
            longs.data<long>().ToArray().Should().Equal(0, 1, 2, 3, 4, 127);
        }
        using (var flags = run.Array("flags.bool").ToTensor())
        {
            flags.data<bool>().ToArray().Should().Equal(true, false, true);
        }
        run.Array("scalar").Shape.Should().BeEmpty();
        run.Array("scalar").ToFloat64().Should().Equal(3.5);
        run.Array("empty").Shape.Should().Equal(0, 3);
        run.Text("greeting").Should().Be("tensor([1., 2.])\n  second line ");
        File.ReadAllBytes(run.File("blob.bin")).Should().Equal(0, 1, 2);
    }

    [Test]
    public void Run_ScriptThatRaises_FailsWithTheScriptsStandardError()
    {
        PyTorchOracle.RequireTorch();

        var run = () => PyTorchOracle.Run("harness_selftest.py", "fail");

        run.Should().Throw<OracleException>()
            .WithMessage("*harness_selftest.py failed (exit code 1)*RuntimeError: deliberate failure for the harness test*");
    }

    [Test]
    public void Run_ScriptWithoutManifest_FailsNamingTheManifest()
    {
        PyTorchOracle.RequireTorch();

        var run = () => PyTorchOracle.Run("harness_selftest.py", "nomanifest");

        run.Should().Throw<OracleException>().WithMessage("*exited without writing*manifest.json*");
    }

    [Test]
    public void Run_ArrayFileOfTheWrongLength_FailsNamingTheArray()
    {
        PyTorchOracle.RequireTorch();

        var run = () => PyTorchOracle.Run("harness_selftest.py", "badsize");

        run.Should().Throw<OracleException>().WithMessage("*malformed manifest*'scalar' (float64 []) should have 8 bytes; its file has 9*");
    }

    [Test]
    public void Run_MissingScript_FailsNamingIt()
    {
        PyTorchOracle.RequireTorch();

        var run = () => PyTorchOracle.Run("no_such_script.py");

        run.Should().Throw<OracleException>().WithMessage("*no_such_script.py does not exist*");
    }

    [Test]
    public void Array_NameTheScriptDidNotWrite_FailsNamingIt()
    {
        using var run = PyTorchOracle.Run("harness_selftest.py", "ok");

        run.Invoking(r => r.Array("nothing")).Should().Throw<OracleException>().WithMessage("*wrote no array named 'nothing'*");
    }

    [Test]
    public void SameText_FirstDifferentLine_IsNamedWithBothLines()
    {
        var compare = () => OracleAssert.SameText("a\nb\nc", "a\nB\nc", "some text");

        compare.Should().Throw<AssertionException>().WithMessage("*some text: line 2 differs*torch:   B*library: b*");
    }

    [Test]
    public void Close_FirstElementOutsideTheTolerance_IsNamedWithBothValues()
    {
        var compare = () => OracleAssert.Close([1f, 2f, float.NaN], [1f, 2.5f, float.NaN], 1e-6, "values");

        compare.Should().Throw<AssertionException>().WithMessage("*values: element 1 is 2 in the library and 2.5 in torch*");
    }
}
