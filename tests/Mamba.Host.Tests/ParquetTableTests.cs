using Mamba.Sdk.Data;

namespace Mamba.Host.Tests;

public sealed class ParquetTableTests : IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.parquet");

    public void Dispose() => File.Delete(file);

    [Fact]
    public async Task Text_and_number_columns_round_trip()
    {
        await using (var stream = File.Create(file))
            await ParquetTable.WriteAsync(stream, [new("id", new[] { "n1", "blog.example/2", "" }), new("score", new[] { 0.5, -1.0, 2.0 }), new("count", new[] { 1L, 2L, 3L })]);

        var table = await ParquetTable.ReadAsync(file);

        Assert.Equal(["id", "score", "count"], table.Select(c => c.Name));
        Assert.Equal(new[] { "n1", "blog.example/2", "" }, (string[])table[0].Values);
        Assert.Equal(new[] { 0.5, -1.0, 2.0 }, (double[])table[1].Values);
        Assert.Equal(new[] { 1L, 2L, 3L }, (long[])table[2].Values);
    }
}
