using Mamba.Core.Checkpoints;

namespace Mamba.Core.Tests.Checkpoints;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mamba-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void An_in_progress_file_names_the_file_it_is_for()
    {
        string? seen = null;
        AtomicFile.Write(Path.Combine(_dir, "predictions.part-10.parquet"), _ => seen = Directory.GetFiles(_dir).Single());

        Assert.StartsWith(AtomicFile.TempPrefix, Path.GetFileName(seen));
        Assert.Equal("predictions.part-10.parquet", AtomicFile.TargetOf(seen!));
    }

    [Theory]
    [InlineData("metrics.json")]
    [InlineData(".partial-")]
    [InlineData(".partial-x-not-an-id")]
    [InlineData("metrics.json-0123456789abcdef0123456789abcdef")]
    public void Other_names_are_not_in_progress_files(string name) => Assert.Null(AtomicFile.TargetOf(name));
}
