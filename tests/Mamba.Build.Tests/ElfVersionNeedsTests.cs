using System.Reflection;
using Mamba.Build;

namespace Mamba.Build.Tests;

public sealed partial class ElfVersionNeedsTests : IDisposable
{
    private const string Version = "GLIBCXX_3.4.32";
    private static readonly string[] Allowed = ["_ZSt21ios_base_library_initv"];
    private readonly string _dir = Directory.CreateTempSubdirectory("mamba-elf-").FullName;

    private static string PackagedLibrary =>
        typeof(ElfVersionNeedsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "PackagedLibTorchSharp").Value!;

    private string CopyOfPackagedLibrary()
    {
        string copy = Path.Combine(_dir, "libLibTorchSharp.so");
        File.Copy(PackagedLibrary, copy);
        return copy;
    }

    [Fact]
    public void Weaken_sets_only_the_weak_flag_of_the_needed_version()
    {
        string copy = CopyOfPackagedLibrary();
        byte[] before = File.ReadAllBytes(copy);

        var outcome = ElfVersionNeeds.Weaken(copy, Version, Allowed, out string detail);

        Assert.True(outcome == WeakenOutcome.Weakened, detail);
        byte[] after = File.ReadAllBytes(copy);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        int offset = Assert.Single(changed);
        Assert.Equal(0x2, after[offset] ^ before[offset]);
    }

    [Fact]
    public void Weaken_twice_leaves_the_library_as_after_the_first_time()
    {
        string copy = CopyOfPackagedLibrary();
        ElfVersionNeeds.Weaken(copy, Version, Allowed, out _);
        byte[] once = File.ReadAllBytes(copy);

        var outcome = ElfVersionNeeds.Weaken(copy, Version, Allowed, out _);

        Assert.Equal(WeakenOutcome.AlreadyWeak, outcome);
        Assert.Equal(once, File.ReadAllBytes(copy));
    }

    [Fact]
    public void Weaken_never_writes_through_a_hard_link_to_the_original()
    {
        string original = CopyOfPackagedLibrary();
        string linked = Path.Combine(_dir, "linked.so");
        Assert.Equal(0, HardLink.Create(original, linked));
        byte[] pristine = File.ReadAllBytes(original);

        ElfVersionNeeds.Weaken(linked, Version, Allowed, out _);

        Assert.Equal(pristine, File.ReadAllBytes(original));
        Assert.NotEqual(pristine, File.ReadAllBytes(linked));
    }

    [Fact]
    public void Weaken_refuses_when_other_symbols_bind_to_the_version()
    {
        string copy = CopyOfPackagedLibrary();
        byte[] before = File.ReadAllBytes(copy);

        var outcome = ElfVersionNeeds.Weaken(copy, Version, ["some_other_symbol"], out string detail);

        Assert.Equal(WeakenOutcome.Refused, outcome);
        Assert.Contains("_ZSt21ios_base_library_initv", detail);
        Assert.Equal(before, File.ReadAllBytes(copy));
    }

    [Fact]
    public void Weaken_leaves_unaffected_files_alone()
    {
        string text = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(text, "not an ELF file");
        string copy = CopyOfPackagedLibrary();

        Assert.Equal(WeakenOutcome.NotAffected, ElfVersionNeeds.Weaken(text, Version, Allowed, out _));
        Assert.Equal(WeakenOutcome.NotAffected, ElfVersionNeeds.Weaken(copy, "GLIBCXX_99.0", Allowed, out _));
        Assert.Equal("not an ELF file", File.ReadAllText(text));
    }

    [Fact]
    public void DefinesVersion_reads_the_system_libstdcxx_version_definitions()
    {
        string libstdcxx = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.First(File.Exists);

        Assert.True(ElfVersionNeeds.DefinesVersion(libstdcxx, "GLIBCXX_3.4"));
        Assert.True(ElfVersionNeeds.DefinesVersion(libstdcxx, "CXXABI_1.3"));
        Assert.False(ElfVersionNeeds.DefinesVersion(libstdcxx, "GLIBCXX_99.0"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static partial class HardLink
    {
        [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "link", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        public static partial int Create(string existing, string newPath);
    }
}
