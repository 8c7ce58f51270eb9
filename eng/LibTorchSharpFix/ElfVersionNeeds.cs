// Compiled twice: by MSBuild's RoslynCodeTaskFactory (as the WeakenElfVersionNeed task of
// LibTorchSharpFix.targets) and into tests/Mamba.Build.Tests, which pins its behaviour.
// Keep it to one file with no dependencies beyond the BCL and Microsoft.Build.Utilities, and within
// netstandard2.0, which is what the task factory compiles against.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;

namespace Mamba.Build
{
    /// <summary>What <see cref="ElfVersionNeeds.Weaken"/> did to one file.</summary>
    public enum WeakenOutcome
    {
        /// <summary>The file is not a little-endian ELF64 object, or does not need the version.</summary>
        NotAffected,
        /// <summary>The version's entry already carried the weak flag.</summary>
        AlreadyWeak,
        /// <summary>The weak flag was set and the file replaced atomically.</summary>
        Weakened,
        /// <summary>Symbols other than the expected ones bind to the version; weakening would break them at run time.</summary>
        Refused,
    }

    /// <summary>
    /// Reads and edits the symbol-version tables of an ELF64 shared object (.gnu.version_r, .gnu.version_d).
    /// Marking a needed version weak (VER_FLG_WEAK) makes the dynamic loader accept a library that lacks it,
    /// which is safe only when no relocated symbol binds to that version.
    /// </summary>
    public static class ElfVersionNeeds
    {
        private const uint SHT_DYNSYM = 11;
        private const uint SHT_GNU_verdef = 0x6ffffffd;
        private const uint SHT_GNU_verneed = 0x6ffffffe;
        private const uint SHT_GNU_versym = 0x6fffffff;
        private const ushort VER_FLG_WEAK = 0x2;

        /// <summary>True when <paramref name="path"/> defines <paramref name="version"/> (a .gnu.version_d entry).</summary>
        public static bool DefinesVersion(string path, string version)
        {
            var elf = ElfFile.TryRead(File.ReadAllBytes(path));
            if (elf is null) return false;
            foreach (var section in elf.Sections.Where(s => s.Type == SHT_GNU_verdef))
            {
                var strtab = elf.Sections[(int)section.Link];
                long offset = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    // Elf64_Verdef: vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16, vd_hash u32, vd_aux u32, vd_next u32
                    uint aux = elf.U32(offset + 12), next = elf.U32(offset + 16);
                    // The first Elf64_Verdaux names the version: vda_name u32, vda_next u32.
                    if (elf.String(strtab, elf.U32(offset + aux)) == version) return true;
                    if (next == 0) break;
                    offset += next;
                }
            }
            return false;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on the .gnu.version_r entry of <paramref name="version"/> in <paramref name="path"/>,
        /// provided every dynamic symbol bound to that version is one of <paramref name="allowedSymbols"/>.
        /// The file is rewritten through a temporary file and a rename, so a hard link to it elsewhere is never modified.
        /// </summary>
        public static WeakenOutcome Weaken(string path, string version, IReadOnlyCollection<string> allowedSymbols, out string detail)
        {
            byte[] bytes = File.ReadAllBytes(path);
            var elf = ElfFile.TryRead(bytes);
            if (elf is null) { detail = "not a little-endian ELF64 file"; return WeakenOutcome.NotAffected; }

            var entry = FindNeededVersion(elf, version);
            if (entry is null) { detail = $"does not need {version}"; return WeakenOutcome.NotAffected; }
            var (flagsOffset, versionIndex) = entry.Value;

            var bound = SymbolsBoundTo(elf, versionIndex);
            var unexpected = bound.Where(s => !allowedSymbols.Contains(s)).ToList();
            if (unexpected.Count > 0)
            {
                detail = $"{version} is needed by {string.Join(", ", unexpected)}";
                return WeakenOutcome.Refused;
            }

            ushort flags = elf.U16(flagsOffset);
            if ((flags & VER_FLG_WEAK) != 0) { detail = $"{version} is already weak"; return WeakenOutcome.AlreadyWeak; }

            BitConverter.GetBytes((ushort)(flags | VER_FLG_WEAK)).CopyTo(bytes, flagsOffset);
            string temp = path + ".weaken.tmp";
            File.WriteAllBytes(temp, bytes);
            File.Replace(temp, path, destinationBackupFileName: null);
            detail = $"marked {version} weak (bound only by {string.Join(", ", bound)})";
            return WeakenOutcome.Weakened;
        }

        /// <summary>The offset of vna_flags and the version index (vna_other) of <paramref name="version"/>, if needed.</summary>
        private static (long FlagsOffset, ushort Index)? FindNeededVersion(ElfFile elf, string version)
        {
            foreach (var section in elf.Sections.Where(s => s.Type == SHT_GNU_verneed))
            {
                var strtab = elf.Sections[(int)section.Link];
                long need = section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32
                    ushort count = elf.U16(need + 2);
                    long aux = need + elf.U32(need + 8);
                    for (int j = 0; j < count; j++)
                    {
                        // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32
                        if (elf.String(strtab, elf.U32(aux + 8)) == version) return (aux + 4, elf.U16(aux + 6));
                        uint nextAux = elf.U32(aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = elf.U32(need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
            return null;
        }

        private static List<string> SymbolsBoundTo(ElfFile elf, ushort versionIndex)
        {
            var names = new List<string>();
            var dynsym = elf.Sections.FirstOrDefault(s => s.Type == SHT_DYNSYM);
            var versym = elf.Sections.FirstOrDefault(s => s.Type == SHT_GNU_versym);
            if (dynsym is null || versym is null) return names;
            var strtab = elf.Sections[(int)dynsym.Link];
            long count = dynsym.Size / 24; // sizeof(Elf64_Sym)
            for (long i = 0; i < count; i++)
            {
                // The high bit of a versym entry is the "hidden" flag, not part of the index.
                if ((elf.U16(versym.Offset + 2 * i) & 0x7fff) != versionIndex) continue;
                names.Add(elf.String(strtab, elf.U32(dynsym.Offset + 24 * i)));
            }
            return names;
        }

        private sealed class Section
        {
            public uint Type;
            public long Offset;
            public long Size;
            public uint Link;
            public uint Info;
        }

        private sealed class ElfFile
        {
            private readonly byte[] _bytes;
            public readonly List<Section> Sections = new List<Section>();

            private ElfFile(byte[] bytes) { _bytes = bytes; }

            public static ElfFile? TryRead(byte[] bytes)
            {
                // e_ident: magic, EI_CLASS = 2 (64-bit), EI_DATA = 1 (little-endian)
                if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F'
                    || bytes[4] != 2 || bytes[5] != 1)
                    return null;
                var elf = new ElfFile(bytes);
                long shoff = (long)BitConverter.ToUInt64(bytes, 0x28);
                ushort shentsize = elf.U16(0x3a), shnum = elf.U16(0x3c);
                if (shentsize != 64 || shoff <= 0 || shoff + (long)shnum * shentsize > bytes.Length) return null;
                for (int i = 0; i < shnum; i++)
                {
                    long h = shoff + (long)i * shentsize;
                    var section = new Section
                    {
                        Type = elf.U32(h + 4),
                        Offset = (long)BitConverter.ToUInt64(bytes, (int)(h + 24)),
                        Size = (long)BitConverter.ToUInt64(bytes, (int)(h + 32)),
                        Link = elf.U32(h + 40),
                        Info = elf.U32(h + 44),
                    };
                    if (section.Offset + section.Size > bytes.Length && section.Type != 8 /* SHT_NOBITS */) return null;
                    elf.Sections.Add(section);
                }
                return elf;
            }

            public ushort U16(long offset) => BitConverter.ToUInt16(_bytes, checked((int)offset));
            public uint U32(long offset) => BitConverter.ToUInt32(_bytes, checked((int)offset));

            public string String(Section strtab, uint index)
            {
                int start = checked((int)(strtab.Offset + index)), end = start;
                while (end < _bytes.Length && _bytes[end] != 0) end++;
                return Encoding.ASCII.GetString(_bytes, start, end - start);
            }
        }
    }

    /// <summary>
    /// MSBuild task: weakens a needed symbol version in copied native libraries when the system's library lacks it.
    /// Used for TorchSharp's libLibTorchSharp.so, built against a newer libstdc++ than Debian 12 ships.
    /// </summary>
    public sealed class WeakenElfVersionNeed : Microsoft.Build.Utilities.Task
    {
        /// <summary>The output copies to examine (never NuGet cache files).</summary>
        [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>The needed version to weaken, for example GLIBCXX_3.4.32.</summary>
        [Required] public string Version { get; set; } = "";

        /// <summary>The only dynamic symbols allowed to bind to <see cref="Version"/>; others make the task refuse.</summary>
        [Required] public string[] AllowedSymbols { get; set; } = Array.Empty<string>();

        /// <summary>Candidate paths of the system library that would provide the version (the first that exists is read).</summary>
        [Required] public string[] SystemLibraries { get; set; } = Array.Empty<string>();

        /// <inheritdoc />
        public override bool Execute()
        {
            if (Files.Length == 0) return true;
            string? system = SystemLibraries.FirstOrDefault(File.Exists);
            if (system is null)
            {
                Log.LogMessage(MessageImportance.Normal, $"Mamba: no system library found among {string.Join(", ", SystemLibraries)}; {Version} left as is.");
                return true;
            }
            if (ElfVersionNeeds.DefinesVersion(system, Version))
            {
                Log.LogMessage(MessageImportance.Normal, $"Mamba: {system} provides {Version}; native libraries left as they are.");
                return true;
            }
            foreach (var item in Files)
            {
                string path = item.GetMetadata("FullPath");
                var outcome = ElfVersionNeeds.Weaken(path, Version, AllowedSymbols, out string detail);
                switch (outcome)
                {
                    case WeakenOutcome.Weakened:
                        Log.LogMessage(MessageImportance.High, $"Mamba: {path}: {detail}, because {system} lacks it.");
                        break;
                    case WeakenOutcome.Refused:
                        Log.LogError($"Mamba: {path}: {detail}; marking it weak would leave those symbols unresolved at run time.");
                        break;
                    default:
                        Log.LogMessage(MessageImportance.Normal, $"Mamba: {path}: {detail}.");
                        break;
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
}
