using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NeuralNet.Torch.Tests.Persistence;

/// <summary>Builds pickles opcode by opcode, independently of the library's writer, to test its reader.</summary>
internal sealed class PickleBytes
{
    private readonly List<byte> _bytes = [];

    public PickleBytes Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleBytes Op(char op) => Raw((byte)op);

    public PickleBytes Proto2() => Raw(0x80, 2);

    /// <summary>GLOBAL: <c>c module\n name\n</c>.</summary>
    public PickleBytes Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    /// <summary>BINUNICODE.</summary>
    public PickleBytes Str(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Op('X');
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        return Raw(length).Raw(bytes);
    }

    /// <summary>BININT1, BININT2, BININT, or LONG1 past 32 bits.</summary>
    public PickleBytes Int(long value)
    {
        if (value is >= 0 and < 256)
        {
            return Op('K').Raw((byte)value);
        }
        if (value is >= 0 and < 65536)
        {
            return Op('M').Raw((byte)value, (byte)(value >> 8));
        }
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, (int)value);
            return Op('J').Raw(bytes);
        }
        var wide = new byte[8]; // LONG1 with all eight bytes
        BinaryPrimitives.WriteInt64LittleEndian(wide, value);
        return Raw(0x8a, 8).Raw(wide);
    }

    /// <summary>BINFLOAT (big-endian).</summary>
    public PickleBytes Float(double value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(bytes, value);
        return Op('G').Raw(bytes);
    }

    /// <summary>SHORT_BINUNICODE (protocol 4).</summary>
    public PickleBytes ShortStr(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        return Raw(0x8c, (byte)bytes.Length).Raw(bytes);
    }

    /// <summary>A protocol-2 REDUCE of <c>module.name</c> on the arguments <paramref name="args"/> writes.</summary>
    public PickleBytes Call(string module, string name, Action<PickleBytes> args)
    {
        Global(module, name).Op('(');
        args(this);
        return Op('t').Op('R');
    }

    public PickleBytes Put(byte index) => Op('q').Raw(index);

    public PickleBytes Get(byte index) => Op('h').Raw(index);

    public PickleBytes LongPut(uint index)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, index);
        return Op('r').Raw(bytes);
    }

    public PickleBytes LongGet(uint index)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, index);
        return Op('j').Raw(bytes);
    }

    /// <summary>A tuple of ints as Python's protocol-2 pickler writes it: EMPTY_TUPLE, TUPLE1..TUPLE3, or MARK ... TUPLE.</summary>
    public PickleBytes IntTuple(params long[] items)
    {
        if (items.Length == 0)
        {
            return Op(')');
        }
        if (items.Length > 3)
        {
            Op('(');
        }
        foreach (var item in items)
        {
            Int(item);
        }
        return items.Length > 3 ? Op('t') : Raw((byte)(0x84 + items.Length));
    }

    /// <summary><c>OrderedDict()</c> via GLOBAL + EMPTY_TUPLE + REDUCE.</summary>
    public PickleBytes NewOrderedDict() => Global("collections", "OrderedDict").Op(')').Op('R');

    /// <summary>The value PyTorch pickles for one tensor:
    /// <c>_rebuild_tensor_v2(('storage', torch.&lt;cls&gt;, key, location, numel), offset, size, stride, False, OrderedDict())</c>.</summary>
    public PickleBytes Tensor(string storageClass, string key, string location, long numel, long offset, long[] size, long[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Op('(');
        Op('(').Str("storage").Global("torch", storageClass).Str(key).Str(location).Int(numel).Op('t');
        Op('Q');
        Int(offset).IntTuple(size).IntTuple(stride);
        Raw(0x89);
        NewOrderedDict();
        Op('t');
        return Op('R');
    }

    /// <summary>The state_dict of <c>nn.Linear(3, 2)</c> (an OrderedDict of <c>weight</c> [2, 3] in storage 0 and
    /// <c>bias</c> [2] in storage 1), every key prefixed with <paramref name="prefix"/>.</summary>
    public PickleBytes LinearStateDict(string prefix = "") =>
        NewOrderedDict().Op('(')
            .Str(prefix + "weight").Tensor("FloatStorage", "0", "cpu", 6, 0, [2, 3], [3, 1])
            .Str(prefix + "bias").Tensor("FloatStorage", "1", "cpu", 2, 0, [2], [1])
            .Op('u');

    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>Little-endian float32 bytes.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }

    /// <summary>Writes a zip with .NET's own ZipArchive (stored, unaligned): independent of the library's zip writer.</summary>
    public static void WriteZip(string path, params (string Name, byte[] Data)[] records)
    {
        using var file = File.Create(path);
        using var zip = new ZipArchive(file, ZipArchiveMode.Create);
        foreach (var (name, data) in records)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
            using var stream = entry.Open();
            stream.Write(data);
        }
    }
}
