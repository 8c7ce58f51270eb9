using Mamba.Sdk.Data;
using Mamba.Tracking.Data;
using Mamba.Tracking.Geometry;

namespace Mamba.Tracking.Tests;

public sealed class MotFilesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mot-files-").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    [Fact]
    public async Task Results_written_read_back_as_the_same_boxes()
    {
        var rows = new List<MotRow> { new(2, 5, new Box(10.5, 20.25, 30, 60), 0.9), new(1, 3, new Box(1, 2, 3, 4), 0.5) };
        string path = Path.Combine(folder, "results.txt");
        await File.WriteAllTextAsync(path, MotFiles.Format(rows));

        var read = await MotFiles.ReadAsync(path, groundTruth: false, CancellationToken.None);

        Assert.Equal(rows.OrderBy(r => r.Frame), read);
        Assert.StartsWith("1,3,1,2,3,4,0.5,-1,-1,-1\n", await File.ReadAllTextAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ground_truth_reads_the_class_column()
    {
        string path = Path.Combine(folder, "gt.txt");
        await File.WriteAllLinesAsync(path, ["1,1,10,10,20,40,1,1,0.8", "1,2,50,10,20,40,0,7,1"]);

        var rows = await MotFiles.ReadAsync(path, groundTruth: true, CancellationToken.None);

        Assert.Equal([1, 7], rows.Select(r => r.Class));
        Assert.Equal([1.0, 0.0], rows.Select(r => r.Confidence));
    }

    [Theory]
    [InlineData("1,1,10,10,20", "row 2", "at least 6")]
    [InlineData("0,1,10,10,20,40,1", "row 2", "1-based")]
    [InlineData("1,1,10,abc,20,40,1", "column 'top'", "'abc'")]
    [InlineData("1,1,10,10,0,40,1", "row 2", "no area")]
    [InlineData("1,1,10,10,20,NaN,1", "column 'height'", "finite")]
    public async Task A_malformed_line_names_file_row_and_problem(string line, string where, string what)
    {
        string path = Path.Combine(folder, "det.txt");
        await File.WriteAllLinesAsync(path, ["1,-1,1,1,5,5,0.9", line]);

        var error = await Assert.ThrowsAsync<DataFormatException>(() => MotFiles.ReadAsync(path, groundTruth: false, CancellationToken.None));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(where, error.Message, StringComparison.Ordinal);
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seqinfo_round_trips_and_names_a_missing_key()
    {
        var info = new SequenceInfo("dance-01", 20, 300, 1920, 1080);
        string path = Path.Combine(folder, "seqinfo.ini");
        await File.WriteAllTextAsync(path, info.Format());
        Assert.Equal(info, await SequenceInfo.ReadAsync(path, CancellationToken.None));

        await File.WriteAllTextAsync(path, "[Sequence]\nname=x\nframeRate=30\nimWidth=10\nimHeight=10\n");
        var error = await Assert.ThrowsAsync<DataFormatException>(() => SequenceInfo.ReadAsync(path, CancellationToken.None));
        Assert.Contains("seqLength", error.Message, StringComparison.Ordinal);
    }
}
