using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace NeuralNet.Torch.Persistence;

/// <summary>Writes a state_dict the way <c>torch.save(model.state_dict(), path)</c> does, so that Python's
/// <c>torch.load(path, weights_only=True)</c> reads it.</summary>
/// <remarks>
/// <para>Records, in PyTorch 2.x's order: <c>&lt;stem&gt;/data.pkl</c>, <c>.format_version</c> (<c>1</c>),
/// <c>.storage_alignment</c> (<c>64</c>), <c>byteorder</c> (<c>little</c>), <c>data/0</c> .. <c>data/N-1</c> (one
/// storage per tensor, uncompressed, 64-byte aligned), <c>version</c> (<c>3</c>). The folder name is the target file's
/// stem, as PyTorch uses (<c>archive</c> where the stem has other characters than letters, digits, <c>_</c>, <c>-</c>).
/// PyTorch's <c>.data/serialization_id</c> is not written (it is optional and only identifies a save).</para>
/// <para><c>data.pkl</c> is a protocol-2 pickle of <c>collections.OrderedDict</c> whose values are
/// <c>torch._utils._rebuild_tensor_v2((persistent id), 0, size, stride, False, OrderedDict())</c>, each persistent id
/// <c>('storage', torch.FloatStorage, '&lt;key&gt;', 'cpu', numel)</c> - the same opcodes PyTorch's pickler emits, without
/// its memo (optional in pickle) and without the <c>_metadata</c> attribute (per-module version numbers that
/// <c>load_state_dict</c> treats as absent).</para>
/// </remarks>
internal static class PyTorchCheckpointWriter
{
    /// <summary>Writes the archive.</summary>
    /// <param name="output">The stream to write to (left open).</param>
    /// <param name="entries">The tensors, in state_dict order.</param>
    /// <param name="targetPath">The final file name, for the folder name inside the archive.</param>
    public static void Write(Stream output, IReadOnlyList<StateEntry> entries, string targetPath)
    {
        var folder = ArchiveFolder(targetPath);
        var zip = new ZipWriter(output);
        zip.Add(folder + "/data.pkl", Pickle(entries));
        zip.Add(folder + "/.format_version", "1"u8);
        zip.Add(folder + "/.storage_alignment", "64"u8);
        zip.Add(folder + "/byteorder", "little"u8);
        for (var i = 0; i < entries.Count; i++)
        {
            zip.Add(folder + "/data/" + i.ToString(CultureInfo.InvariantCulture), entries[i].Data);
        }
        zip.Add(folder + "/version", "3\n"u8);
        zip.Finish();
    }

    /// <summary>The folder name PyTorch would use for <paramref name="targetPath"/>.</summary>
    internal static string ArchiveFolder(string targetPath)
    {
        var stem = Path.GetFileNameWithoutExtension(targetPath);
        return stem.Length > 0 && stem.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? stem : "archive";
    }

    /// <summary>The <c>data.pkl</c> for <paramref name="entries"/>.</summary>
    internal static byte[] Pickle(IReadOnlyList<StateEntry> entries)
    {
        var p = new PickleBuilder();
        p.Proto(2);
        p.Global("collections", "OrderedDict");
        p.Op(')'); // EMPTY_TUPLE
        p.Op('R'); // REDUCE -> OrderedDict()
        if (entries.Count > 0)
        {
            p.Op('(');
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                var dtype = DTypes.Of(entry.DType);
                p.String(entry.Name);
                p.Global("torch._utils", "_rebuild_tensor_v2");
                p.Op('(');
                p.Op('(');
                p.String("storage");
                p.Global("torch", dtype.StorageClass);
                p.String(i.ToString(CultureInfo.InvariantCulture));
                p.String("cpu");
                p.Int(StateEntry.Numel(entry.Shape));
                p.Op('t'); // TUPLE
                p.Op('Q'); // BINPERSID
                p.Int(0);  // storage offset
                p.Tuple(entry.Shape);
                p.Tuple(ContiguousStrides(entry.Shape));
                p.Op(0x89); // NEWFALSE: requires_grad, as state_dict() tensors are detached
                p.Global("collections", "OrderedDict");
                p.Op(')');
                p.Op('R'); // backward_hooks = OrderedDict()
                p.Op('t');
                p.Op('R'); // _rebuild_tensor_v2(...)
            }
            p.Op('u'); // SETITEMS
        }
        p.Op('.'); // STOP
        return p.ToArray();
    }

    internal static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= Math.Max(shape[d], 1);
        }
        return strides;
    }

    /// <summary>Emits pickle opcodes.</summary>
    private sealed class PickleBuilder
    {
        private readonly MemoryStream _bytes = new();

        public void Op(char op) => _bytes.WriteByte((byte)op);

        public void Op(byte op) => _bytes.WriteByte(op);

        public void Proto(byte version)
        {
            Op(0x80);
            Op(version);
        }

        public void Global(string module, string name)
        {
            Op('c');
            _bytes.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n"));
        }

        public void String(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Op('X'); // BINUNICODE
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
            _bytes.Write(length);
            _bytes.Write(bytes);
        }

        public void Int(long value)
        {
            Span<byte> buffer = stackalloc byte[8];
            if (value is >= 0 and <= byte.MaxValue)
            {
                Op('K');
                Op((byte)value);
            }
            else if (value is >= 0 and <= ushort.MaxValue)
            {
                Op('M');
                BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)value);
                _bytes.Write(buffer[..2]);
            }
            else if (value is >= int.MinValue and <= int.MaxValue)
            {
                Op('J');
                BinaryPrimitives.WriteInt32LittleEndian(buffer, (int)value);
                _bytes.Write(buffer[..4]);
            }
            else
            {
                // LONG1: the shortest little-endian two's complement that keeps the sign.
                BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
                var length = 8;
                while (length > 1 && buffer[length - 1] == (value < 0 ? 0xFF : 0) && (buffer[length - 2] & 0x80) == (value < 0 ? 0x80 : 0))
                {
                    length--;
                }
                Op(0x8a);
                Op((byte)length);
                _bytes.Write(buffer[..length]);
            }
        }

        public void Tuple(long[] items)
        {
            switch (items.Length)
            {
                case 0:
                    Op(')');
                    return;
                case <= 3:
                    foreach (var item in items)
                    {
                        Int(item);
                    }
                    Op((byte)(0x84 + items.Length)); // TUPLE1..TUPLE3
                    return;
                default:
                    Op('(');
                    foreach (var item in items)
                    {
                        Int(item);
                    }
                    Op('t');
                    return;
            }
        }

        public byte[] ToArray() => _bytes.ToArray();
    }
}
