// The libstdc++ compatibility step of NeuralNet.Torch, compiled by MSBuild's RoslynCodeTaskFactory at build time
// (see NeuralNet.Torch.targets beside this file) and linked into the tests. It targets netstandard2.0 APIs only.
//
// Why: TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++ and so requires the version
// GLIBCXX_3.4.32, which Debian 12 and Ubuntu 22.04 do not have. The only symbol bound to that version,
// std::ios_base_library_init(), is never relocated against. Marking the requirement weak (VER_FLG_WEAK in its
// Vernaux entry of .gnu.version_r) lets the dynamic loader accept the library where the version is missing, and
// changes nothing where it exists.
#nullable enable
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace NeuralNet.Torch.Build
{
    /// <summary>MSBuild task: marks the named symbol-version requirements weak in copies of ELF shared libraries.</summary>
    public sealed class MarkElfVersionsWeak : Microsoft.Build.Utilities.Task
    {
        /// <summary>The files to patch in place (copies in a build output, never a package cache).</summary>
        [Required]
        public ITaskItem[] Files { get; set; } = new ITaskItem[0];

        /// <summary>Version names whose requirement becomes weak, e.g. GLIBCXX_3.4.32.</summary>
        [Required]
        public string[] Versions { get; set; } = new string[0];

        /// <inheritdoc />
        public override bool Execute()
        {
            foreach (var item in Files)
            {
                var path = item.ItemSpec;
                if (!File.Exists(path))
                {
                    Log.LogMessage(MessageImportance.Low, "NeuralNet.Torch: {0} does not exist; nothing to patch.", path);
                    continue;
                }
                try
                {
                    var outcome = ElfVersionPatcher.PatchFile(path, Versions);
                    Log.LogMessage(MessageImportance.Low, "NeuralNet.Torch: {0}: {1}.", path, outcome);
                    if (outcome == ElfPatchOutcome.NotElf64LittleEndian)
                    {
                        Log.LogWarning("NeuralNet.Torch: {0} is not a 64-bit little-endian ELF file; left unchanged.", path);
                    }
                }
                catch (IOException e)
                {
                    Log.LogError("NeuralNet.Torch: could not patch {0}: {1}", path, e.Message);
                }
                catch (UnauthorizedAccessException e)
                {
                    Log.LogError("NeuralNet.Torch: could not patch {0}: {1}", path, e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }

    /// <summary>What <see cref="ElfVersionPatcher"/> did to a file.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>At least one requirement was marked weak.</summary>
        Patched,

        /// <summary>Every named requirement present was weak already; nothing changed.</summary>
        AlreadyWeak,

        /// <summary>The file requires none of the named versions; nothing changed.</summary>
        NotRequired,

        /// <summary>The file is not a well-formed 64-bit little-endian ELF file; nothing changed.</summary>
        NotElf64LittleEndian,
    }

    /// <summary>Finds Vernaux entries by name in an ELF64 little-endian image and sets VER_FLG_WEAK on them.</summary>
    public static class ElfVersionPatcher
    {
        /// <summary>VER_FLG_WEAK from elf.h.</summary>
        public const ushort VerFlagWeak = 0x2;

        private const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>Patches a file in place, atomically: a patched copy is written beside it and renamed over it,
        /// so a hard link into a package cache is never written through. The new timestamp makes the next build
        /// copy the original again (then patched again), so turning the step off takes effect without a clean.</summary>
        public static ElfPatchOutcome PatchFile(string path, string[] versions)
        {
            var image = File.ReadAllBytes(path);
            var outcome = Patch(image, versions);
            if (outcome != ElfPatchOutcome.Patched)
            {
                return outcome;
            }
            var temporary = path + ".neuralnet-" + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                File.Copy(path, temporary, true); // keeps the file's mode bits
                using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.Write))
                {
                    stream.Write(image, 0, image.Length);
                }
                File.Replace(temporary, path, null);
            }
            finally
            {
                if (File.Exists(temporary))
                {
                    File.Delete(temporary);
                }
            }
            return outcome;
        }

        /// <summary>Patches an image in memory. Only the flag bytes of matching Vernaux entries change.</summary>
        public static ElfPatchOutcome Patch(byte[] image, string[] versions)
        {
            var offsets = FindVernauxFlagOffsets(image, versions);
            if (offsets == null)
            {
                return ElfPatchOutcome.NotElf64LittleEndian;
            }
            if (offsets.Length == 0)
            {
                return ElfPatchOutcome.NotRequired;
            }
            var changed = false;
            foreach (var offset in offsets)
            {
                var flags = ReadU16(image, offset);
                if ((flags & VerFlagWeak) == 0)
                {
                    WriteU16(image, offset, (ushort)(flags | VerFlagWeak));
                    changed = true;
                }
            }
            return changed ? ElfPatchOutcome.Patched : ElfPatchOutcome.AlreadyWeak;
        }

        /// <summary>The file offsets of the vna_flags fields of every Vernaux entry named in <paramref name="versions"/>;
        /// null when the image is not a well-formed ELF64 little-endian file.</summary>
        public static long[]? FindVernauxFlagOffsets(byte[] image, string[] versions)
        {
            if (image.Length < 64 || image[0] != 0x7f || image[1] != (byte)'E' || image[2] != (byte)'L' || image[3] != (byte)'F'
                || image[4] != 2 /* ELFCLASS64 */ || image[5] != 1 /* ELFDATA2LSB */)
            {
                return null;
            }
            var sectionTable = ReadU64(image, 0x28);
            var entrySize = ReadU16(image, 0x3A);
            var sectionCount = ReadU16(image, 0x3C);
            if (entrySize < 64 || !Fits(image, sectionTable, (ulong)entrySize * sectionCount))
            {
                return null;
            }
            var found = new System.Collections.Generic.List<long>();
            for (var i = 0; i < sectionCount; i++)
            {
                var header = (long)sectionTable + (long)i * entrySize;
                if (ReadU32(image, header + 4) != ShtGnuVerneed)
                {
                    continue;
                }
                var start = ReadU64(image, header + 0x18);
                var size = ReadU64(image, header + 0x20);
                var link = ReadU32(image, header + 0x28);
                var count = ReadU32(image, header + 0x2C);
                if (!Fits(image, start, size) || link >= sectionCount)
                {
                    return null;
                }
                var strings = (long)sectionTable + (long)link * entrySize;
                var stringsStart = ReadU64(image, strings + 0x18);
                var stringsSize = ReadU64(image, strings + 0x20);
                if (!Fits(image, stringsStart, stringsSize))
                {
                    return null;
                }
                if (!WalkVerneed(image, (long)start, (long)(start + size), count, (long)stringsStart, (long)stringsSize, versions, found))
                {
                    return null;
                }
            }
            return found.ToArray();
        }

        private static bool WalkVerneed(byte[] image, long start, long end, uint count, long strings, long stringsSize,
            string[] versions, System.Collections.Generic.List<long> found)
        {
            var need = start;
            for (uint n = 0; n < count; n++)
            {
                if (need < start || need + 16 > end)
                {
                    return false;
                }
                var auxCount = ReadU16(image, need + 2);
                var aux = need + ReadU32(image, need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    if (aux < start || aux + 16 > end)
                    {
                        return false;
                    }
                    var name = ReadString(image, strings, stringsSize, ReadU32(image, aux + 8));
                    if (name == null)
                    {
                        return false;
                    }
                    if (Array.IndexOf(versions, name) >= 0)
                    {
                        found.Add(aux + 4);
                    }
                    var nextAux = ReadU32(image, aux + 12);
                    if (nextAux == 0)
                    {
                        break;
                    }
                    aux += nextAux;
                }
                var next = ReadU32(image, need + 12);
                if (next == 0)
                {
                    break;
                }
                need += next;
            }
            return true;
        }

        private static string? ReadString(byte[] image, long table, long tableSize, uint offset)
        {
            if (offset >= tableSize)
            {
                return null;
            }
            var begin = table + offset;
            var end = begin;
            while (end < table + tableSize && image[end] != 0)
            {
                end++;
            }
            return end < table + tableSize ? Encoding.ASCII.GetString(image, (int)begin, (int)(end - begin)) : null;
        }

        private static bool Fits(byte[] image, ulong offset, ulong length) =>
            offset <= (ulong)image.Length && length <= (ulong)image.Length - offset;

        private static ushort ReadU16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);

        private static uint ReadU32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);

        private static ulong ReadU64(byte[] b, long o) => ReadU32(b, o) | (ulong)ReadU32(b, o + 4) << 32;

        private static void WriteU16(byte[] b, long o, ushort value)
        {
            b[o] = (byte)value;
            b[o + 1] = (byte)(value >> 8);
        }
    }
}
