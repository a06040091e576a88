using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NeuralNet.Torch.Persistence;
using NeuralNet.Torch.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>The PyTorch zip format on files the tests build byte by byte (independently of the library's writer), and
/// the writer's output checked record by record.</summary>
public sealed class PyTorchFormatTests
{
    internal static readonly float[] Weight = [1.5f, -2.25f, 3f, 0.125f, -0.5f, 1e-3f];
    internal static readonly float[] Bias = [0.75f, -8f];

    private TempFolder _folder = null!;

    [SetUp]
    public void CreateFolder() => _folder = new TempFolder();

    [TearDown]
    public void DeleteFolder() => _folder.Dispose();

    [Test]
    public void Load_HandBuiltClassicLayoutSavedOnCuda_LoadsOntoTheCpu()
    {
        // torch <= 2.0 layout: data.pkl, data/N, version (and byteorder from 1.13 on); memo used as PyTorch's pickler does.
        var pickle = new PickleBytes().Proto2()
            .Global("collections", "OrderedDict").Put(0).Op(')').Op('R').Put(1)
            .Op('(')
            .Str("weight").Put(2)
            .Global("torch._utils", "_rebuild_tensor_v2").Put(3)
            .Op('(').Op('(').Str("storage").Put(4).Global("torch", "FloatStorage").Put(5).Str("0").Str("cuda:0").Put(6).Int(6).Op('t')
            .Op('Q').Int(0).IntTuple(2, 3).IntTuple(3, 1).Raw(0x89).Get(0).Op(')').Op('R').Op('t').Op('R')
            .Str("bias")
            .Get(3)
            .Op('(').Op('(').Get(4).Get(5).Str("1").Get(6).Int(2).Op('t')
            .Op('Q').Int(0).IntTuple(2).IntTuple(1).Raw(0x89).Get(0).Op(')').Op('R').Op('t').Op('R')
            .Op('u').Op('.')
            .ToArray();
        var path = _folder.File("classic.pth");
        PickleBytes.WriteZip(path,
            ("archive/data.pkl", pickle),
            ("archive/byteorder", "little"u8.ToArray()),
            ("archive/data/0", PickleBytes.Floats(Weight)),
            ("archive/data/1", PickleBytes.Floats(Bias)),
            ("archive/version", "3\n"u8.ToArray()));
        using var linear = nn.Linear(3, 2);

        var result = linear.LoadCheckpoint(path);

        result.ToString().Should().Be("<All keys matched successfully>");
        Values(linear, "weight").Should().Equal(Weight);
        Values(linear, "bias").Should().Equal(Bias);
        linear.weight!.device_type.Should().Be(DeviceType.CPU);
        Checkpoint.DetectFormat(path).Should().Be(CheckpointFormat.PyTorch);
    }

    [Test]
    public void Load_HandBuiltNewerLayoutSavedOnMps_LoadsTheValuesAndIgnoresMetadata()
    {
        // torch >= 2.1 layout: .format_version, .storage_alignment, byteorder, .data/serialization_id; plus the
        // `_metadata` attribute torch.save attaches to a state_dict with BUILD.
        var pickle = new PickleBytes().Proto2()
            .NewOrderedDict()
            .Op('(')
            .Str("weight").Tensor("FloatStorage", "0", "mps", 6, 0, [2, 3], [3, 1])
            .Str("bias").Tensor("FloatStorage", "1", "mps", 2, 0, [2], [1])
            .Op('u')
            .Op('}').Str("_metadata").NewOrderedDict().Str("").Op('}').Str("version").Int(1).Op('s').Op('s').Op('s')
            .Op('b')
            .Op('.')
            .ToArray();
        var path = _folder.File("newer.pth");
        PickleBytes.WriteZip(path,
            ("model/data.pkl", pickle),
            ("model/.format_version", "1"u8.ToArray()),
            ("model/.storage_alignment", "64"u8.ToArray()),
            ("model/byteorder", "little"u8.ToArray()),
            ("model/data/0", PickleBytes.Floats(Weight)),
            ("model/data/1", PickleBytes.Floats(Bias)),
            ("model/version", "3\n"u8.ToArray()),
            ("model/.data/serialization_id", "1234567890"u8.ToArray()));
        using var linear = nn.Linear(3, 2);

        linear.LoadCheckpoint(path).AllKeysMatched.Should().BeTrue();

        Values(linear, "weight").Should().Equal(Weight);
        Values(linear, "bias").Should().Equal(Bias);
    }

    [Test]
    public void Load_StridedViewsOfOneSharedStorage_GatherTheRightElements()
    {
        // One storage of 8 floats: weight is its first 6 read column-major (stride [1, 2]), bias is elements 6 and 7.
        float[] storage = [1, 2, 3, 4, 5, 6, 7, 8];
        var pickle = new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("weight").Tensor("FloatStorage", "0", "cpu", 8, 0, [2, 3], [1, 2])
            .Str("bias").Tensor("FloatStorage", "0", "cpu", 8, 6, [2], [1])
            .Op('u').Op('.').ToArray();
        var path = _folder.File("strided.pt");
        PickleBytes.WriteZip(path, ("a/data.pkl", pickle), ("a/data/0", PickleBytes.Floats(storage)), ("a/version", "3\n"u8.ToArray()));
        using var linear = nn.Linear(3, 2);

        linear.LoadCheckpoint(path);

        Values(linear, "weight").Should().Equal(1f, 3f, 5f, 2f, 4f, 6f);
        Values(linear, "bias").Should().Equal(7f, 8f);
    }

    [Test]
    public void Load_BigEndianByteOrderRecord_SwapsEachElement()
    {
        var pickle = LinearPickle();
        var path = _folder.File("big.pt");
        PickleBytes.WriteZip(path,
            ("a/data.pkl", pickle), ("a/byteorder", "big"u8.ToArray()),
            ("a/data/0", BigEndian(Weight)), ("a/data/1", BigEndian(Bias)), ("a/version", "3\n"u8.ToArray()));
        using var linear = nn.Linear(3, 2);

        linear.LoadCheckpoint(path);

        Values(linear, "weight").Should().Equal(Weight);
        Values(linear, "bias").Should().Equal(Bias);
    }

    [Test]
    public void Inspect_EveryStorageType_ReportsPyTorchsDtypeNamesAndShapes()
    {
        var pickle = new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("half").Tensor("HalfStorage", "0", "cpu", 2, 0, [2], [1])
            .Str("bf16").Tensor("BFloat16Storage", "1", "cpu", 1, 0, [1, 1], [1, 1])
            .Str("double").Tensor("DoubleStorage", "2", "cpu", 1, 0, [], [])
            .Str("long").Tensor("LongStorage", "3", "cpu", 3, 0, [3], [1])
            .Str("flag").Tensor("BoolStorage", "4", "cpu", 0, 0, [0, 5], [5, 1])
            .Op('u').Op('.').ToArray();
        var path = _folder.File("types.pt");
        PickleBytes.WriteZip(path, ("x/data.pkl", pickle),
            ("x/data/0", new byte[4]), ("x/data/1", new byte[2]), ("x/data/2", new byte[8]), ("x/data/3", new byte[24]),
            ("x/data/4", []), ("x/version", "3\n"u8.ToArray()));

        var info = Checkpoint.Inspect(path);

        info.Format.Should().Be(CheckpointFormat.PyTorch);
        info.Tensors.Select(t => t.ToString()).Should().Equal(
            "half float16 [2]", "bf16 bfloat16 [1, 1]", "double float64 []", "long int64 [3]", "flag bool [0, 5]");
        info.Tensors[3].DType.Should().Be(ScalarType.Int64);
    }

    [TestCaseSource(nameof(MalformedPickles))]
    public void Load_MalformedPickle_ThrowsACheckpointExceptionSayingWhat(byte[] pickle, string expected)
    {
        var path = _folder.File("bad.pth");
        PickleBytes.WriteZip(path,
            ("a/data.pkl", pickle), ("a/data/0", PickleBytes.Floats(Weight)), ("a/data/1", PickleBytes.Floats(Bias)),
            ("a/version", "3\n"u8.ToArray()));
        using var linear = nn.Linear(3, 2);

        var act = () => linear.LoadCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot read checkpoint '{path}': *{expected}*")
            .Which.InnerException.Should().BeOfType<InvalidDataException>();
    }

    private static IEnumerable<TestCaseData> MalformedPickles()
    {
        var full = LinearPickle();
        yield return new TestCaseData(full[..^1], "ends without a STOP opcode").SetName("Truncated pickle");
        yield return new TestCaseData(new PickleBytes().Proto2().Op('i').Raw(Encoding.ASCII.GetBytes("os\nsystem\n")).Op('.').ToArray(),
            "unsupported pickle opcode 0x69 ('i')").SetName("INST opcode");
        yield return new TestCaseData(new PickleBytes().Proto2().Op('R').Op('.').ToArray(), "stack underflow").SetName("Stack underflow");
        yield return new TestCaseData(new PickleBytes().Proto2().Get(7).Op('.').ToArray(), "memo entry 7 is read before it is written")
            .SetName("Dangling BINGET");
        yield return new TestCaseData(new PickleBytes().Proto2().Op(']').Op('.').ToArray(),
            "a/data.pkl holds a list of 0; expected a state_dict (a dict of tensors").SetName("Top-level list");
        yield return new TestCaseData(new PickleBytes().Proto2().Op('}').Str("epoch").Int(5).Op('s').Op('.').ToArray(),
            "its top level is not a state_dict but a dict of 1 entry, 'epoch' (the int 5), and none of them holds a dict of tensors to load")
            .SetName("Dict without tensors");
        yield return new TestCaseData(new PickleBytes().Proto2().Str("a").Str("b").Op('.').ToArray(), "STOP with 2 values")
            .SetName("Two values at STOP");
        yield return new TestCaseData(full.Concat(new byte[] { 0x4e }).ToArray(), "byte(s) follow the STOP opcode")
            .SetName("Bytes after STOP");
        yield return new TestCaseData(new PickleBytes().Proto2().NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "9", "cpu", 6, 0, [2, 3], [3, 1]).Op('u').Op('.').ToArray(),
            "record 'a/data/9' (the data of 'weight') is missing").SetName("Missing data record");
        yield return new TestCaseData(new PickleBytes().Proto2().NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "0", "cpu", 7, 0, [2, 3], [3, 1]).Op('u').Op('.').ToArray(),
            "record 'a/data/0' holds 24 bytes, but the pickle declares 7 float32 elements (28 bytes)").SetName("Record size mismatch");
        yield return new TestCaseData(new PickleBytes().Proto2().NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 1, [2, 3], [3, 1]).Op('u').Op('.').ToArray(),
            "reaches element 6 of a storage of 6").SetName("View past the storage");
        yield return new TestCaseData(new PickleBytes().Proto2().NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [1000, 1000], [0, 0]).Op('u').Op('.').ToArray(),
            "is an overlapping view with more elements than its storage (6)").SetName("Expanded view larger than its storage");
        yield return new TestCaseData(new PickleBytes().Proto2().NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "0", "cpu", 1L << 40, 0, [2, 3], [3, 1]).Op('u').Op('.').ToArray(),
            "record 'a/data/0' holds 24 bytes, but the pickle declares 1099511627776 float32 elements (4398046511104 bytes)")
            .SetName("Huge declared storage size");
        yield return new TestCaseData(new PickleBytes().Proto2().NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [1L << 31, 1L << 31], [1, 1]).Op('u').Op('.').ToArray(),
            "has 4611686018427387904 elements; tensors over").SetName("Huge declared shape");
        yield return new TestCaseData(new PickleBytes().Proto2().NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, -1, [2, 3], [3, 1]).Op('u').Op('.').ToArray(),
            "negative storage offset, size or stride").SetName("Negative offset");
        yield return new TestCaseData(new PickleBytes().Proto2().NewOrderedDict().Op('(')
                .Str("weight").Tensor("FloatStorage", "../../etc/passwd", "cpu", 6, 0, [2, 3], [3, 1]).Op('u').Op('.').ToArray(),
            "is not a plain record name").SetName("Storage key with a path");
        yield return new TestCaseData(new PickleBytes().Proto2().Str("storage").Raw(0x85).Op('Q').Op('.').ToArray(),
            "is not ('storage', type, key, location, numel)").SetName("Malformed persistent id");
        yield return new TestCaseData(new PickleBytes().Raw(0x80, 9).Op('.').ToArray(), "pickle protocol 9 is not supported")
            .SetName("Unknown protocol");
    }

    [Test]
    public void Load_ZipWithoutDataPkl_SaysItIsNotATorchSaveFile()
    {
        var path = _folder.File("other.zip");
        PickleBytes.WriteZip(path, ("readme.txt", "hello"u8.ToArray()));

        var act = () => Checkpoint.Inspect(path);

        act.Should().Throw<CheckpointException>().WithMessage($"Cannot read checkpoint '{path}': it is a zip archive but not a torch.save file*");
    }

    [Test]
    public void Load_CentralDirectoryClaimingAHugeRecord_IsRefusedBeforeAllocating()
    {
        var path = _folder.File("forged.pth");
        PickleBytes.WriteZip(path, ("a/data.pkl", LinearPickle()), ("a/data/0", PickleBytes.Floats(Weight)),
            ("a/data/1", PickleBytes.Floats(Bias)), ("a/version", "3\n"u8.ToArray()));
        var bytes = File.ReadAllBytes(path);
        // Central directory entry of a/data/0: signature PK\x01\x02, uncompressed size at offset 24.
        var name = Encoding.ASCII.GetBytes("a/data/0");
        var entry = Enumerable.Range(0, bytes.Length - 46).First(i =>
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) == 0x02014b50 && bytes.AsSpan(i + 46, name.Length).SequenceEqual(name));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(entry + 24), 0x7FFF_FFF0);
        File.WriteAllBytes(path, bytes);

        var act = () => Checkpoint.Inspect(path);

        act.Should().Throw<CheckpointException>().WithMessage("*record 'a/data/0' claims sizes the file cannot hold (truncated or corrupt)*");
    }

    [Test]
    public void Save_Pth_WritesPyTorchsRecordsInOrderStoredAnd64ByteAligned()
    {
        using var linear = LinearWith(Weight, Bias);
        var path = _folder.File("my_model.pth");

        linear.SaveCheckpoint(path);

        using (var zip = ZipFile.OpenRead(path))
        {
            zip.Entries.Select(e => e.FullName).Should().Equal(
                "my_model/data.pkl", "my_model/.format_version", "my_model/.storage_alignment", "my_model/byteorder",
                "my_model/data/0", "my_model/data/1", "my_model/version");
            zip.Entries.Should().OnlyContain(e => e.CompressedLength == e.Length, "PyTorch's records are stored uncompressed");
            Record(zip, "my_model/.format_version").Should().Equal("1"u8.ToArray());
            Record(zip, "my_model/.storage_alignment").Should().Equal("64"u8.ToArray());
            Record(zip, "my_model/byteorder").Should().Equal("little"u8.ToArray());
            Record(zip, "my_model/version").Should().Equal("3\n"u8.ToArray());
            Record(zip, "my_model/data/0").Should().Equal(PickleBytes.Floats(Weight));
            Record(zip, "my_model/data/1").Should().Equal(PickleBytes.Floats(Bias));
        }
        LocalRecordDataOffsets(File.ReadAllBytes(path)).Should().HaveCount(7).And.OnlyContain(offset => offset % 64 == 0);
    }

    [Test]
    public void Save_Pth_WritesTheSamePickleOpcodesAsTorchSave()
    {
        using var linear = LinearWith(Weight, Bias);
        var path = _folder.File("linear.pt");

        linear.SaveCheckpoint(path);

        // What torch.save(linear.state_dict()) pickles (protocol 2), without the optional memo and _metadata.
        var expected = new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
            .Str("bias").Tensor("FloatStorage", "1", "cpu", 2, 0, [2], [1])
            .Op('u').Op('.').ToArray();
        using var zip = ZipFile.OpenRead(path);
        Record(zip, "linear/data.pkl").Should().Equal(expected);
    }

    [Test]
    public void Save_StemWithOtherCharacters_UsesArchiveAsTheFolder()
    {
        using var linear = LinearWith(Weight, Bias);
        var path = _folder.File("my model (1).pth");

        linear.SaveCheckpoint(path);

        using var zip = ZipFile.OpenRead(path);
        zip.Entries[0].FullName.Should().Be("archive/data.pkl");
    }

    [Test]
    public void Load_RecordWithAFlippedByte_IsReportedCorrupt()
    {
        using var linear = LinearWith(Weight, Bias);
        var path = _folder.File("flip.pth");
        linear.SaveCheckpoint(path);
        var bytes = File.ReadAllBytes(path);
        var dataOffsets = LocalRecordDataOffsets(bytes);
        bytes[dataOffsets[4] + 1] ^= 0x40; // inside data/0
        File.WriteAllBytes(path, bytes);

        var act = () => linear.LoadCheckpoint(path);

        act.Should().Throw<CheckpointException>().WithMessage("*record 'flip/data/0' is corrupt (its CRC-32 does not match)*");
    }

    internal static byte[] LinearPickle() =>
        new PickleBytes().Proto2().NewOrderedDict().Op('(')
            .Str("weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
            .Str("bias").Tensor("FloatStorage", "1", "cpu", 2, 0, [2], [1])
            .Op('u').Op('.').ToArray();

    internal static TorchSharp.Modules.Linear LinearWith(float[] weight, float[] bias)
    {
        var linear = nn.Linear(3, 2);
        using var noGrad = no_grad();
        using var w = tensor(weight).reshape(2, 3);
        using var b = tensor(bias);
        linear.weight!.copy_(w);
        linear.bias!.copy_(b);
        return linear;
    }

    internal static float[] Values(nn.Module module, string name) => module.state_dict()[name].data<float>().ToArray();

    /// <summary>Walks the local file headers from the start and returns where each record's data begins.</summary>
    internal static List<int> LocalRecordDataOffsets(byte[] zip)
    {
        var offsets = new List<int>();
        var position = 0;
        while (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(position)) == 0x04034b50)
        {
            var size = BinaryPrimitives.ReadInt32LittleEndian(zip.AsSpan(position + 18));
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(position + 26));
            var extraLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(position + 28));
            var data = position + 30 + nameLength + extraLength;
            offsets.Add(data);
            position = data + size;
        }
        return offsets;
    }

    private static byte[] Record(ZipArchive zip, string name)
    {
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static byte[] BigEndian(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }
}
