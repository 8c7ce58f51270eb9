using System.Globalization;
using Mamba.Sdk.Artifacts;

namespace Mamba.Host.Tests;

public sealed class ResultsPageTests
{
    [Fact]
    public void Numbers_are_written_in_the_invariant_culture_with_their_column_format_whatever_the_locale()
    {
        var before = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var table = new ResultsTable(ResultsColumn.Text("model"), ResultsColumn.Number("MSE", "F3"), ResultsColumn.Number("n"))
                .Row("dlinear", 0.54149, 1234)
                .Row("s-mamba", ResultsTable.Strong(0.5), null);

            Assert.Equal(
                "| model | MSE | n |\n| --- | ---: | ---: |\n| dlinear | 0.541 | 1234 |\n| s-mamba | **0.500** |  |",
                table.ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Fact]
    public void Pipes_and_line_breaks_in_a_cell_cannot_break_the_table()
    {
        var table = new ResultsTable(ResultsColumn.Text("sequence | name"), ResultsColumn.Text("note"))
            .Row("MOT17|02", "two\nlines");

        var lines = table.ToString().Split('\n');

        Assert.Equal(3, lines.Length);
        Assert.Equal(@"| sequence \| name | note |", lines[0]);
        Assert.Equal(@"| MOT17\|02 | two lines |", lines[2]);
    }

    [Fact]
    public void A_row_with_the_wrong_count_of_cells_is_refused_naming_the_columns()
    {
        var table = new ResultsTable(ResultsColumn.Text("model"), ResultsColumn.Number("HOTA", "F4"));

        var error = Assert.Throws<ArgumentException>(() => table.Row("kalman", 0.42, 0.43));

        Assert.Contains("3 cells for a table of 2 columns (model, HOTA)", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, table.RowCount);
    }

    [Fact]
    public void A_page_separates_its_blocks_by_a_blank_line_and_ends_in_a_newline()
    {
        double bits = 1.93194;
        var page = new ResultsPage()
            .Paragraph($"Bits per base ({12345:N0} bases).")
            .Bullets([$"first {bits:F2}", $"second"])
            .Bullets([])
            .Table(new ResultsTable(ResultsColumn.Text("model")).Row("markov"));

        Assert.Equal("Bits per base (12,345 bases).\n\n- first 1.93\n- second\n\n| model |\n| --- |\n| markov |\n", page.ToString());
    }

    [Fact]
    public async Task The_writer_publishes_the_page_as_results_md()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"results-{Guid.NewGuid():N}");
        try
        {
            var writer = new ArtifactWriter(folder);
            await writer.WriteResultsAsync(new ResultsPage().Paragraph($"done"));

            Assert.Equal("done\n", await File.ReadAllTextAsync(Path.Combine(folder, "results.md")));
            Assert.Equal(["results.md"], writer.Written);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
