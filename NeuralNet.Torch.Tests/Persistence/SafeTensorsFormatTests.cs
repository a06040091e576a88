using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>safetensors files written by the library and built by hand, including every validation rule.</summary>
public sealed class SafeTensorsFormatTests
{
    private static readonly float[] Weight = [1.5f, -2.25f, 3f, 0.125f, -0.5f, 1e-3f];
    private static readonly float[] Bias = [0.75f, -8f];

    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void Save_Safetensors_WritesAPaddedHeaderAndTheRawLittleEndianData()
    {
        using var linear = PyTorchFormatTests.LinearWith(Weight, Bias);
        var path = _folder.File("linear.safetensors");

        linear.SaveCheckpoint(path);

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        (headerLength % 8).Should().Be(0, "the header is padded with spaces so the data starts 8-byte aligned");
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        header.TrimEnd(' ').Should().Be(
            """{"__metadata__":{"format":"pt"},"weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]}}""");
        bytes.AsSpan(8 + headerLength).ToArray().Should().Equal(PickleBytes.Floats([.. Weight, .. Bias]));
    }

    [Test]
    public void Load_HandWrittenFileWithTensorsListedOutOfDataOrder_ReadsEachAtItsOffsets()
    {
        var path = Write("""{"bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"weight":{"shape":[2,3],"dtype":"F32","data_offsets":[8,32]}}""",
            PickleBytes.Floats([.. Bias, .. Weight]));
        using var linear = nn.Linear(3, 2);

        linear.LoadCheckpoint(path).AllKeysMatched.Should().BeTrue();

        PyTorchFormatTests.Values(linear, "weight").Should().Equal(Weight);
        PyTorchFormatTests.Values(linear, "bias").Should().Equal(Bias);
        Checkpoint.DetectFormat(path).Should().Be(CheckpointFormat.SafeTensors);
    }

    [Test]
    public void Inspect_EveryDtypeCode_MapsToPyTorchsNames()
    {
        var path = Write(
            """
            {"__metadata__":{"source":"hand-written"},
             "a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},
             "b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},
             "c":{"dtype":"I32","shape":[1],"data_offsets":[16,20]},
             "d":{"dtype":"F16","shape":[2],"data_offsets":[20,24]},
             "e":{"dtype":"BF16","shape":[1],"data_offsets":[24,26]},
             "f":{"dtype":"I16","shape":[1],"data_offsets":[26,28]},
             "g":{"dtype":"I8","shape":[1],"data_offsets":[28,29]},
             "h":{"dtype":"U8","shape":[1],"data_offsets":[29,30]},
             "i":{"dtype":"BOOL","shape":[2,0],"data_offsets":[30,30]},
             "j":{"dtype":"BOOL","shape":[1],"data_offsets":[30,31]}}
            """, new byte[31]);

        var info = Checkpoint.Inspect(path);

        info.Tensors.Select(t => $"{t.Name}:{t.DTypeName}").Should().Equal(
            "a:float64", "b:int64", "c:int32", "d:float16", "e:bfloat16", "f:int16", "g:int8", "h:uint8", "i:bool", "j:bool");
        info.Tensors[1].Shape.Should().BeEmpty();
    }

    [TestCaseSource(nameof(InvalidFiles))]
    public void Load_InvalidFile_IsRefusedSayingWhy(string header, int dataLength, string expected)
    {
        var path = Write(header, new byte[dataLength]);
        using var linear = nn.Linear(3, 2);
        var before = PyTorchFormatTests.Values(linear, "weight");

        var act = () => linear.LoadCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot read checkpoint '{path}': *{expected}*")
            .Which.Should().NotBeOfType<CheckpointMismatchException>();
        PyTorchFormatTests.Values(linear, "weight").Should().Equal(before);
    }

    private static IEnumerable<TestCaseData> InvalidFiles()
    {
        const string W = "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}";
        yield return new TestCaseData("{" + W + ",\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[20,28]}}", 28,
            "tensor 'bias' overlaps the previous tensor's bytes").SetName("Overlapping tensors");
        yield return new TestCaseData("{" + W + ",\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[28,36]}}", 36,
            "the bytes 24..28 before tensor 'bias' belong to no tensor").SetName("Hole between tensors");
        yield return new TestCaseData("{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20,
            "tensor 'weight' float32 [2, 3] needs 24 bytes, but its data_offsets [0, 20] span 20").SetName("Size does not match the shape");
        yield return new TestCaseData("{" + W + "}", 30, "the file has 6 byte(s) after the last tensor's data").SetName("Trailing bytes");
        yield return new TestCaseData("{" + W + "}", 10, "the tensors need 24 bytes of data, but the file has 10 (truncated)").SetName("Truncated data");
        yield return new TestCaseData("{\"weight\":{\"dtype\":\"F8_E4M3\",\"shape\":[2,3],\"data_offsets\":[0,6]}}", 6,
            "tensor 'weight' has the safetensors dtype 'F8_E4M3', which is not supported").SetName("Unsupported dtype");
        yield return new TestCaseData("{" + W + "," + W + "}", 24, "the safetensors header names 'weight' twice").SetName("Duplicate name");
        yield return new TestCaseData("{\"weight\":{\"dtype\":\"F32\",\"shape\":[-2,3],\"data_offsets\":[0,24]}}", 24,
            "tensor 'weight' has a shape value that is not a non-negative integer").SetName("Negative dimension");
        yield return new TestCaseData("{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3]}}", 24,
            "needs a string dtype, a shape array and two data_offsets").SetName("Missing data_offsets");
        yield return new TestCaseData("{\"__metadata__\":{\"epoch\":5}," + W + "}", 24,
            "__metadata__ is not a map of strings to strings").SetName("Metadata value not a string");
        yield return new TestCaseData("{\"weight\": [1, 2", 24, "the safetensors header is not valid JSON").SetName("Broken JSON");
        yield return new TestCaseData("{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[24,0]}}", 24,
            "data_offsets [24, 0], which end before they begin").SetName("Reversed offsets");
    }

    [Test]
    public void Load_HeaderLengthPastTheEndOfTheFile_IsReportedTruncated()
    {
        var path = _folder.File("cut.safetensors");
        var header = "{\"weight\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}"u8.ToArray();
        var bytes = new byte[8 + 20];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.AsSpan(0, 20).CopyTo(bytes.AsSpan(8));
        File.WriteAllBytes(path, bytes);

        var act = () => Checkpoint.Inspect(path);

        act.Should().Throw<CheckpointException>()
            .WithMessage($"*the safetensors header claims {header.Length} bytes, but the file has only 20 after the length (truncated)*");
    }

    [Test]
    public void Save_ComplexTensor_IsRefusedBecauseSafetensorsHasNoCodeForIt()
    {
        using var module = new ComplexHolder();
        var path = _folder.File("complex.safetensors");

        var act = () => module.SaveCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage("*tensor 'z' is complex64, which safetensors cannot store*");
        File.Exists(path).Should().BeFalse();
        Directory.EnumerateFileSystemEntries(_folder.Path).Should().BeEmpty();
    }

    [Test]
    public void Save_MixedElementSizes_LaysOutLargestFirstSoEveryTensorIsAligned()
    {
        using var module = new MixedHolder();
        var path = _folder.File("mixed.safetensors");

        module.SaveCheckpoint(path);

        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var json = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var offsets = json.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__")
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("data_offsets")[0].GetInt64());
        offsets.Should().Equal(new Dictionary<string, long> { ["d"] = 0, ["f"] = 24, ["h"] = 36 });
        using var copy = new MixedHolder(zeros: true);
        copy.LoadCheckpoint(path);
        copy.state_dict()["h"].bytes.ToArray().Should().Equal(module.state_dict()["h"].bytes.ToArray());
    }

    private string Write(string header, byte[] data)
    {
        var path = _folder.File("hand.safetensors");
        var headerBytes = Encoding.UTF8.GetBytes(header);
        using var file = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        file.Write(length);
        file.Write(headerBytes);
        file.Write(data);
        return path;
    }

    /// <summary>A module with one complex64 parameter.</summary>
    private sealed class ComplexHolder : nn.Module
    {
#pragma warning disable IDE1006 // the field name is the state_dict key
        private readonly TorchSharp.Modules.Parameter z = new(zeros(2, dtype: ScalarType.ComplexFloat32));
#pragma warning restore IDE1006

        public ComplexHolder()
            : base(nameof(ComplexHolder)) => RegisterComponents();
    }

    /// <summary>A module with a float16 [3], a float32 [3] and a float64 [3] parameter, registered in that order.</summary>
    private sealed class MixedHolder : nn.Module
    {
#pragma warning disable IDE1006 // the field names are the state_dict keys
        private readonly TorchSharp.Modules.Parameter h;
        private readonly TorchSharp.Modules.Parameter f;
        private readonly TorchSharp.Modules.Parameter d;
#pragma warning restore IDE1006

        public MixedHolder(bool zeros = false)
            : base(nameof(MixedHolder))
        {
            h = new(zeros ? torch.zeros(3, dtype: ScalarType.Float16) : tensor(new[] { 1f, 2f, 3f }).to_type(ScalarType.Float16));
            f = new(zeros ? torch.zeros(3) : tensor(new[] { 4f, 5f, 6f }));
            d = new(zeros ? torch.zeros(3, dtype: ScalarType.Float64) : tensor(new[] { 7.0, 8.0, 9.0 }));
            RegisterComponents();
        }
    }
}
