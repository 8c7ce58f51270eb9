using Mamba.Sdk.Data;
using Mamba.Tracking.Trajectories;

namespace Mamba.Tracking.Tests;

public sealed class TrajectoryTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("trajectory-").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    [Fact]
    public async Task A_time_gap_starts_a_new_segment()
    {
        string path = Path.Combine(folder, "track.csv");
        await File.WriteAllLinesAsync(path,
        [
            "time_utc,lat,lon,ele,x_m,y_m",
            "2014-05-10T07:20:55.000Z,0,0,0,0.000,0.000",
            "2014-05-10T07:20:56.000Z,0,0,0,1.000,0.000",
            "2014-05-10T07:20:57.000Z,0,0,0,2.000,0.000",
            "2014-05-10T07:21:36.000Z,0,0,0,40.000,0.000",
            "2014-05-10T07:21:37.000Z,0,0,0,41.000,1.000",
        ]);

        var trajectory = await Trajectory.ReadCsvAsync(path, 1, CancellationToken.None);

        Assert.Equal([3, 2], trajectory.Segments.Select(s => s.Length));
        Assert.Equal((41.0, 1.0), trajectory.Segments[1][1]);
        var (train, validation, test) = trajectory.Split(0.4, 0.2);
        Assert.Equal([2], train.Select(s => s.Length));
        Assert.Equal([1], validation.Select(s => s.Length));
        Assert.Equal([2], test.Select(s => s.Length));
    }

    [Fact]
    public async Task Time_going_backwards_is_named()
    {
        string path = Path.Combine(folder, "track.csv");
        await File.WriteAllLinesAsync(path, ["time_utc,x_m,y_m", "2014-05-10T07:20:55Z,0,0", "2014-05-10T07:20:54Z,1,1"]);

        var error = await Assert.ThrowsAsync<DataFormatException>(() => Trajectory.ReadCsvAsync(path, 1, CancellationToken.None));

        Assert.Contains("row 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not increase", error.Message, StringComparison.Ordinal);
    }
}
