using System.Buffers.Binary;
using System.Text;

namespace NeuralNet.Torch.GpuCheck.Checks;

/// <summary>The global undefined symbols of an ELF64 little-endian shared library (its <c>.dynsym</c>): what it needs
/// from the libraries it links. Weak ones are left out: the loader does not require them.</summary>
internal static class ElfSymbols
{
    private const uint ShtDynsym = 11;
    private const int SymbolSize = 24;
    private const byte StbGlobal = 1;

    public static IReadOnlyList<string> Undefined(string path)
    {
        var image = File.ReadAllBytes(path);
        if (image.Length < 64 || image[0] != 0x7f || image[1] != 'E' || image[2] != 'L' || image[3] != 'F' || image[4] != 2 || image[5] != 1)
        {
            throw new InvalidDataException($"{path} is not an ELF64 little-endian file.");
        }
        var sections = (long)U64(image, 0x28);
        int entrySize = U16(image, 0x3A), count = U16(image, 0x3C);
        for (var i = 0; i < count; i++)
        {
            var header = sections + (long)i * entrySize;
            if (U32(image, header + 4) != ShtDynsym)
            {
                continue;
            }
            var strings = sections + (long)U32(image, header + 40) * entrySize; // sh_link: the string table's section
            var stringsOffset = (long)U64(image, strings + 24);
            var offset = (long)U64(image, header + 24);
            var size = (long)U64(image, header + 32);
            var names = new List<string>();
            for (var symbol = offset + SymbolSize; symbol + SymbolSize <= offset + size; symbol += SymbolSize)
            {
                var name = U32(image, symbol);
                var binding = image[symbol + 4] >> 4;
                if (U16(image, symbol + 6) == 0 && binding == StbGlobal && name != 0)
                {
                    var start = stringsOffset + name;
                    var end = Array.IndexOf(image, (byte)0, (int)start);
                    names.Add(Encoding.ASCII.GetString(image, (int)start, end - (int)start));
                }
            }
            return names;
        }
        throw new InvalidDataException($"{path} has no .dynsym section.");
    }

    private static ushort U16(byte[] image, long at) => BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan((int)at));

    private static uint U32(byte[] image, long at) => BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)at));

    private static ulong U64(byte[] image, long at) => BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan((int)at));
}
