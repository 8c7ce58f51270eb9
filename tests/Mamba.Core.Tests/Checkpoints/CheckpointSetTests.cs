using Mamba.Core.Checkpoints;

namespace Mamba.Core.Tests.Checkpoints;

public sealed class CheckpointSetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mamba-set-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Publish(string content) => CheckpointSet.Publish(_dir, set =>
    {
        File.WriteAllText(Path.Combine(set, "weights.bin"), content);
        File.WriteAllText(Path.Combine(set, "state.json"), $"{{\"of\":\"{content}\"}}");
    });

    [Fact]
    public void The_newest_published_set_is_the_latest_and_older_ones_are_removed()
    {
        Publish("first");
        string second = Publish("second");

        Assert.Equal(second, CheckpointSet.Latest(_dir));
        Assert.Equal("second", File.ReadAllText(Path.Combine(second, "weights.bin")));
        Assert.Single(Directory.GetDirectories(_dir));
    }

    [Fact]
    public void A_write_that_fails_halfway_leaves_the_previous_set_whole_and_nothing_half_written()
    {
        string first = Publish("first");

        Assert.Throws<IOException>(() => CheckpointSet.Publish(_dir, set =>
        {
            File.WriteAllText(Path.Combine(set, "weights.bin"), "second");
            throw new IOException("disk full");                          // dies before the state file is written
        }));

        Assert.Equal(first, CheckpointSet.Latest(_dir));
        Assert.Equal("first", File.ReadAllText(Path.Combine(first, "weights.bin")));
        Assert.Equal([first], Directory.GetDirectories(_dir));
    }

    [Fact]
    public void A_staging_folder_left_by_a_killed_process_is_ignored_and_cleared()
    {
        string first = Publish("first");
        string orphan = Directory.CreateDirectory(Path.Combine(_dir, AtomicFile.TempPrefix + "set-killed")).FullName;
        File.WriteAllText(Path.Combine(orphan, "weights.bin"), "torn");

        Assert.Equal(first, CheckpointSet.Latest(_dir));
        string second = Publish("second");
        Assert.Equal([second], Directory.GetDirectories(_dir));
    }

    [Fact]
    public void A_file_changed_after_publication_is_refused_by_name()
    {
        string set = Publish("first");
        string weights = Path.Combine(set, "weights.bin");
        File.WriteAllText(weights, "edited");

        var e = Assert.Throws<CheckpointMismatchException>(() => CheckpointSet.Latest(_dir));

        Assert.StartsWith(weights, e.Message);
        Assert.Contains("cannot be trusted", e.Message);
    }

    [Fact]
    public void A_file_missing_from_a_published_set_is_refused_by_name()
    {
        string set = Publish("first");
        File.Delete(Path.Combine(set, "state.json"));

        var e = Assert.Throws<CheckpointMismatchException>(() => CheckpointSet.Latest(_dir));

        Assert.Contains("state.json: missing", e.Message);
    }
}
