using Mamba.Ecg.Wfdb;
using Mamba.Sdk.Data;

namespace Mamba.Ecg.Tests;

public sealed class LabelledRecordFolderTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mamba-ecg-folder-").FullName;

    private void Header(string subfolder, string name, string? dx)
    {
        string dir = Path.Combine(folder, subfolder);
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, name + ".hea"),
            [$"{name} 1 500 10", $"{name}.mat 16+24 1000/mV 16 0 0 0 0 II", .. dx is null ? Array.Empty<string>() : [$"# Dx: {dx}"]]);
    }

    [Fact]
    public void Records_are_found_in_nested_folders_with_their_dx_codes()
    {
        Header("a", "A0002", "164889003, 59118001");
        Header(Path.Combine("b", "c"), "A0001", null);

        var records = LabelledRecordFolder.Find(folder, default);

        Assert.Equal(["A0001", "A0002"], records.Select(r => r.Name));
        Assert.Empty(records[0].Codes);
        Assert.Equal(["164889003", "59118001"], records[1].Codes);
    }

    [Fact]
    public void A_repeated_record_name_is_refused_naming_both_headers()
    {
        Header("a", "A0001", "164889003");
        Header("b", "A0001", "164889003");

        var e = Assert.Throws<DataFormatException>(() => LabelledRecordFolder.Find(folder, default));

        Assert.Contains("record name 'A0001' is also the name of", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_seeded_split_is_disjoint_repeatable_and_leaves_out_unlabelled_records()
    {
        var records = Enumerable.Range(0, 40).Select(i => new LabelledRecord($"r{i}.hea", $"r{i:D2}", i % 10 == 0 ? [] : ["426783006"])).ToList();

        var split = LabelledRecordFolder.Split(records, r => r.Codes.Count > 0, 0.25, 0.25, seed: 3);
        var again = LabelledRecordFolder.Split(records.AsEnumerable().Reverse().ToList(), r => r.Codes.Count > 0, 0.25, 0.25, seed: 3);
        var other = LabelledRecordFolder.Split(records, r => r.Codes.Count > 0, 0.25, 0.25, seed: 4);

        Assert.Equal(4, split.Unlabelled);
        Assert.Equal((18, 9, 9), (split.Train.Count, split.Validation.Count, split.Test.Count));
        Assert.Equal(36, split.Train.Concat(split.Validation).Concat(split.Test).Select(r => r.Name).Distinct().Count());
        Assert.Equal(split.Test.Select(r => r.Name), again.Test.Select(r => r.Name));
        Assert.NotEqual(split.Test.Select(r => r.Name), other.Test.Select(r => r.Name));
    }

    [Fact]
    public void A_split_file_naming_an_unknown_record_fails_naming_its_row()
    {
        var records = new List<LabelledRecord> { new("a.hea", "A0001", ["426783006"]) };
        string file = Path.Combine(folder, "split.csv");
        File.WriteAllLines(file, ["record,split", "A0001,train", "A0009,test"]);

        var e = Assert.Throws<DataFormatException>(() => LabelledRecordFolder.Split(records, _ => true, file));

        Assert.Equal($"{file}, row 3, column 'record': no record 'A0009' in the records folder", e.Message);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
