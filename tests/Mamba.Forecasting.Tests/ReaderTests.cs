using Mamba.Forecasting;
using Mamba.Forecasting.Data;
using Mamba.Sdk.Data;
using Mamba.Sdk.Jobs;

namespace Mamba.Forecasting.Tests;

public sealed class ReaderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory().FullName;

    private string Write(string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Non_numeric_cell_names_file_row_and_column()
    {
        string path = Write("a.csv", "date,x,y\n2020-01-01,1,2\n2020-01-02,3,abc\n");
        var e = Assert.Throws<DataFormatException>(() => new SeriesCsvReader().Read(path, default));
        Assert.Equal($"{path}, row 3, column 'y': 'abc' is not a number", e.Message);
    }

    [Fact]
    public void A_missing_time_column_is_an_error_listing_the_columns_found()
    {
        string path = Write("b.csv", "time,x\n1,2\n");
        var e = Assert.Throws<DataFormatException>(() => new SeriesCsvReader().Read(path, default));
        Assert.Equal($"{path}, row 1: no time column 'date' in the header (columns: time, x; delimiter ','); " +
            "set data.timeColumn, or data.delimiter if the columns are not split as they should be", e.Message);
    }

    [Fact]
    public void A_semicolon_file_with_quoted_fields_reads_under_its_layout()
    {
        string path = Write("q.csv", "\"load; kW\";\"timestamp\";\"note\"\n\"1,5\";\"07.03.2021 10:00\";\"2\"\n;07.03.2021 11:00;\"3,25\"\n");
        var layout = new SeriesCsvLayout(TimeColumn: "timestamp", TimeFormat: "dd.MM.yyyy HH:mm", DecimalSeparator: ",");

        var frame = new SeriesCsvReader(layout).Read(path, default);

        Assert.Equal(["load; kW", "note"], frame.Names);
        Assert.Equal([new DateTime(2021, 3, 7, 10, 0, 0, DateTimeKind.Utc), new DateTime(2021, 3, 7, 11, 0, 0, DateTimeKind.Utc)], frame.Timestamps);
        Assert.Equal(1.5, frame.Columns[0][0]);
        Assert.True(double.IsNaN(frame.Columns[0][1]), "an empty cell is missing");
        Assert.Equal([2.0, 3.25], frame.Columns[1]);
    }

    [Theory]
    [InlineData(",")]
    [InlineData(";")]
    [InlineData("\t")]
    public void The_delimiter_is_detected_from_the_header(string delimiter)
    {
        string path = Write("d.csv", string.Join(delimiter, "date", "a", "b") + "\n" + string.Join(delimiter, "2020-01-01", "1.5", "2") + "\n");

        var frame = new SeriesCsvReader().Read(path, default);

        Assert.Equal(["a", "b"], frame.Names);
        Assert.Equal([1.5], frame.Columns[0]);
    }

    [Fact]
    public void A_time_that_does_not_match_the_format_names_the_format()
    {
        string path = Write("f.csv", "date,x\n2020-01-01,1\n");
        var e = Assert.Throws<DataFormatException>(() => new SeriesCsvReader(new SeriesCsvLayout(TimeFormat: "dd.MM.yyyy")).Read(path, default));
        Assert.Equal($"{path}, row 2, column 'date': '2020-01-01' does not match data.timeFormat 'dd.MM.yyyy'", e.Message);
    }

    [Fact]
    public void NaN_is_an_error_by_default_naming_the_cell_and_filled_on_request()
    {
        string path = Write("c.csv", "date,x\n2020-01-01,1\n2020-01-02,NaN\n2020-01-03,3\n");
        var frame = new SeriesCsvReader().Read(path, default);
        var e = Assert.Throws<DataFormatException>(() => MissingValues.Apply(frame, MissingValuePolicy.Error));
        Assert.Equal(3, e.Row);
        Assert.Equal("x", e.Column);

        Assert.Equal(1, MissingValues.Apply(frame, MissingValuePolicy.Linear));
        Assert.Equal([1.0, 2.0, 3.0], frame.Columns[0]);
    }

    [Fact]
    public void Too_few_rows_for_lookback_plus_horizon_names_the_file_and_split()
    {
        string path = Write("d.csv", "date,x\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"{new DateTime(2020, 1, 1).AddDays(i):yyyy-MM-dd},{i}\n")));
        var frame = new SeriesCsvReader().Read(path, default);

        var refused = Assert.Throws<JobOptionsException>(() => ForecastDataset.Prepare(frame, new DataOptions { Path = path, Lookback = 10, Horizons = [2, 24] }));
        Assert.Equal("options.data.horizons[1]", refused.KeyPath);
        Assert.Contains($"horizon 24 with lookback 10 needs 34 rows in every split, but the validation split of {path} (50 rows", refused.Message);

        var data = ForecastDataset.Prepare(frame, new DataOptions { Path = path, Lookback = 10, Horizons = [2] });
        var e = Assert.Throws<DataFormatException>(() => data.Windows(data.Splits.Test, 24, "test"));
        Assert.Contains(path, e.Message);
        Assert.Contains("too few rows for lookback + horizon", e.Message);
    }

    [Fact]
    public void A_lookback_longer_than_the_training_split_is_refused_naming_the_option()
    {
        string path = Write("short.csv", "date,x\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"{new DateTime(2020, 1, 1).AddDays(i):yyyy-MM-dd},{i}\n")));
        var frame = new SeriesCsvReader().Read(path, default);

        var e = Assert.Throws<JobOptionsException>(() => ForecastDataset.Prepare(frame, new DataOptions { Path = path, Lookback = 96, Horizons = [1] }));

        Assert.Equal("options.data.lookback", e.KeyPath);
        Assert.Contains($"lookback 96 does not fit {path}: its 50 rows", e.Message);
        Assert.Contains("use a lookback of at most 35", e.Message);
    }

    [Fact]
    public void A_repeated_column_name_is_refused_naming_it()
    {
        string path = Write("twice.csv", "date,x,x\n2020-01-01,1,2\n");

        var e = Assert.Throws<DataFormatException>(() => new SeriesCsvReader().Read(path, default));

        Assert.Equal(1, e.Row);
        Assert.Equal("x", e.Column);
        Assert.Contains("the header names 'x' 2 times", e.Message);
    }

    [Fact]
    public void Rows_out_of_time_order_are_an_error()
    {
        string path = Write("e.csv", "date,x\n2020-01-02,1\n2020-01-01,2\n");
        var e = Assert.Throws<DataFormatException>(() => new SeriesCsvReader().Read(path, default));
        Assert.Equal(3, e.Row);
    }

    [Fact]
    public async Task Parquet_reader_reads_what_the_sdk_writes()
    {
        string path = Path.Combine(dir, "s.parquet");
        DateTime[] dates = [.. Enumerable.Range(0, 5).Select(i => new DateTime(2021, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddHours(i))];
        await using (var file = File.Create(path))
            await ParquetTable.WriteAsync(file, [new("date", dates), new("load", new[] { 1.0, 2, 3, 4, 5 }), new("temp", new[] { 5f, 4, 3, 2, 1 })]);

        var frame = new SeriesParquetReader().Read(path, default);

        Assert.Equal(["load", "temp"], frame.Names);
        Assert.Equal(dates, frame.Timestamps);
        Assert.Equal([5.0, 4, 3, 2, 1], frame.Columns[1]);
    }

    public void Dispose() => Directory.Delete(dir, true);
}
