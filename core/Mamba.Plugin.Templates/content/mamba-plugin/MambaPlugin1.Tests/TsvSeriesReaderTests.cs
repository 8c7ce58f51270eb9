using Mamba.Sdk.Data;

namespace MambaPlugin1.Tests;

public sealed class TsvSeriesReaderTests : IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.tsv");

    public void Dispose() => File.Delete(file);

    [Fact]
    public void Reads_columns_and_timestamps()
    {
        File.WriteAllText(file, "time\ta\tb\n2024-01-01\t1.5\t-2\n2024-01-02\t3\t4e1\n");

        var frame = new TsvSeriesReader().Read(file, CancellationToken.None);

        Assert.Equal(["a", "b"], frame.Names);
        Assert.Equal([1.5, 3.0], frame.Columns[0]);
        Assert.Equal([-2.0, 40.0], frame.Columns[1]);
        Assert.Equal(new DateTime(2024, 1, 2, 0, 0, 0, DateTimeKind.Utc), frame.Timestamps[1]);
    }

    [Fact]
    public void A_bad_number_names_its_row_and_column()
    {
        File.WriteAllText(file, "time\ta\tb\n2024-01-01\t1\t2\n2024-01-02\t3\tNaN\n");

        var error = Assert.Throws<DataFormatException>(() => new TsvSeriesReader().Read(file, CancellationToken.None));

        Assert.Equal(3, error.Row);
        Assert.Equal("b", error.Column);
    }

    [Fact]
    public void The_bundled_sample_reads_whole()
    {
        string sample = Path.Combine(AppContext.BaseDirectory, "sample.tsv");

        var frame = new TsvSeriesReader().Read(sample, CancellationToken.None);

        Assert.Equal(120, frame.RowCount);
    }
}
