using System.Text;

namespace NeuralNet.Torch.Tests.Native;

/// <summary>Builds a minimal ELF64 little-endian image with a .dynstr and a .gnu.version_r section, so the patcher is
/// tested on bytes the test controls (and where the NuGet package is not restored).</summary>
internal static class ElfImageBuilder
{
    /// <summary>An image that needs <paramref name="library"/> at each of <paramref name="versions"/>.</summary>
    public static byte[] Build(string library, params (string Name, ushort Flags)[] versions)
    {
        // Layout: [ELF header 64][.dynstr][.gnu.version_r][section headers x3]
        var strings = new MemoryStream();
        strings.WriteByte(0);
        var libraryOffset = AddString(strings, library);
        var nameOffsets = versions.Select(v => AddString(strings, v.Name)).ToArray();
        var dynstr = strings.ToArray();

        var verneed = new MemoryStream();
        var w = new BinaryWriter(verneed);
        w.Write((ushort)1);                      // vn_version
        w.Write((ushort)versions.Length);        // vn_cnt
        w.Write(libraryOffset);                  // vn_file
        w.Write(16u);                            // vn_aux
        w.Write(0u);                             // vn_next
        for (var i = 0; i < versions.Length; i++)
        {
            w.Write(0x0a1b2c3du);                // vna_hash (not checked)
            w.Write(versions[i].Flags);          // vna_flags
            w.Write((ushort)(i + 2));            // vna_other
            w.Write(nameOffsets[i]);             // vna_name
            w.Write(i == versions.Length - 1 ? 0u : 16u); // vna_next
        }
        var versionR = verneed.ToArray();

        const int headerSize = 64;
        var dynstrOffset = headerSize;
        var versionROffset = dynstrOffset + dynstr.Length;
        var sectionTable = versionROffset + versionR.Length;

        var image = new MemoryStream();
        var e = new BinaryWriter(image);
        e.Write(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0 });
        e.Write(new byte[8]);
        e.Write((ushort)3);        // e_type ET_DYN
        e.Write((ushort)62);       // e_machine x86-64
        e.Write(1u);               // e_version
        e.Write(0UL);              // e_entry
        e.Write(0UL);              // e_phoff
        e.Write((ulong)sectionTable); // e_shoff
        e.Write(0u);               // e_flags
        e.Write((ushort)headerSize);
        e.Write((ushort)56);       // e_phentsize
        e.Write((ushort)0);        // e_phnum
        e.Write((ushort)64);       // e_shentsize
        e.Write((ushort)3);        // e_shnum
        e.Write((ushort)0);        // e_shstrndx
        e.Write(dynstr);
        e.Write(versionR);
        e.Write(new byte[64]);     // section 0: SHT_NULL
        Section(e, type: 3, offset: dynstrOffset, size: dynstr.Length, link: 0, info: 0);
        Section(e, type: 0x6ffffffe, offset: versionROffset, size: versionR.Length, link: 1, info: 1);
        return image.ToArray();
    }

    private static uint AddString(MemoryStream table, string value)
    {
        var offset = (uint)table.Length;
        var bytes = Encoding.ASCII.GetBytes(value);
        table.Write(bytes);
        table.WriteByte(0);
        return offset;
    }

    private static void Section(BinaryWriter e, uint type, int offset, int size, uint link, uint info)
    {
        e.Write(0u);               // sh_name
        e.Write(type);
        e.Write(2UL);              // sh_flags SHF_ALLOC
        e.Write(0UL);              // sh_addr
        e.Write((ulong)offset);
        e.Write((ulong)size);
        e.Write(link);
        e.Write(info);
        e.Write(8UL);              // sh_addralign
        e.Write(0UL);              // sh_entsize
    }
}
