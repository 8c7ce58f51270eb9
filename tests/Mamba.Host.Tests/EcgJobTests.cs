using System.Text.Json.Nodes;
using Mamba.Sdk.Data;

namespace Mamba.Host.Tests;

/// <summary>The bundled ECG plugin's jobs through the real host at tiny sizes (the quality run is docs/results/ecg.md).</summary>
public sealed class EcgJobTests : IDisposable
{
    private static readonly string Jobs = Path.Combine(MambaProcess.RepositoryRoot, "plugins", "Mamba.Ecg", "jobs");
    private static readonly string[] Tiny =
    [
        "--set", "synthetic.train=48", "--set", "synthetic.validation=16", "--set", "synthetic.test=24",
        "--set", "model.dModel=16", "--set", "model.layers=1", "--set", "training.epochs=1", "--set", "training.batchSize=16",
    ];
    private readonly string root = Directory.CreateTempSubdirectory("mamba-ecg-").FullName;

    private string Run(string job, params string[] extra) => PluginWorkspace.RunJob(root, Path.Combine(Jobs, job), [.. Tiny, .. extra]);

    [Fact]
    public void Evaluate_scores_both_models_on_both_lead_sets_and_says_the_data_is_synthetic()
    {
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(Run("synthetic-evaluate.json"), "metrics.json")))!;

        Assert.True((bool)metrics["data"]!["synthetic"]!);
        var rows = metrics["rows"]!.AsArray();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.InRange((double)r!["auroc"]!, 0, 1));
    }

    [Fact]
    public async Task The_real_record_runs_through_predict_and_stream_in_single_lead_mode_with_equal_outputs()
    {
        var (early, _, earlyErrors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "mitdb208-predict.json"), "--out", Path.Combine(root, "runs")]);
        Assert.Equal(2, early);
        Assert.Contains("run job 'ecg-synthetic-train' first", earlyErrors, StringComparison.Ordinal);
        Run("synthetic-train.json");

        string predicted = Run("mitdb208-predict.json");
        string streamed = Run("mitdb208-stream.json");

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(predicted, "metrics.json")))!;
        Assert.Equal(30, (int)metrics["windows"]!);                           // 300 s in 10 s windows
        Assert.StartsWith("none", (string)metrics["groundTruth"]!, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(predicted, "leads.png")).Length > 0);
        var batch = await ParquetTable.ReadAsync(Path.Combine(predicted, "predictions.parquet"));
        var stream = await ParquetTable.ReadAsync(Path.Combine(streamed, "stream.parquet"));
        Assert.Equal(batch.Select(c => c.Name), stream.Select(c => c.Name));
        Assert.Equal(2 + 9, batch.Count);                                     // window, start, nine class probabilities
        for (int c = 0; c < batch.Count; c++)
            for (int w = 0; w < 30; w++)
                Assert.Equal((double)batch[c].Values.GetValue(w)!, (double)stream[c].Values.GetValue(w)!, 1e-4);   // batched and single-window matmuls round differently
    }

    [Fact]
    public void A_lead_set_the_record_lacks_is_refused_naming_the_option()
    {
        // Any existing folder passes the weights path check; the lead set is refused before weights are read.
        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "mitdb208-predict.json"), "--out", Path.Combine(root, "runs"), .. Tiny,
            "--set", "leadSet=12", "--set", $"model.weights={root}"]);

        Assert.Equal(2, code);
        Assert.Contains("options.leadSet", errors, StringComparison.Ordinal);
        Assert.Contains("MLII", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_header_fails_naming_the_file_and_row()
    {
        string header = Path.Combine(root, "broken.hea");
        File.WriteAllText(header, "broken 1 360 100\nbroken.dat 311 200 11 1024 0 0 0 MLII\n");

        var (code, _, errors) = MambaProcess.Run(root, ["run", Path.Combine(Jobs, "mitdb208-stream.json"), "--out", Path.Combine(root, "runs"), .. Tiny,
            "--set", $"record={header}", "--set", $"model.weights={root}"]);

        Assert.Equal(1, code);
        Assert.Contains($"{header}, row 2: signal format 311 is not supported", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_labelled_challenge_folder_trains_and_scores_with_the_challenge_metrics()
    {
        // A user's folder in the 2021 challenge layout, written here: two sources in nested folders, MATLAB-style
        // signal files (24-byte header, 16+24 in the header), 500 Hz, 12 leads, SNOMED CT codes in '# Dx:'. The signals
        // are synthetic sines; RBBB (59118001) must count under the challenge's CRBBB|RBBB class, and the records
        // whose codes are all unscored must be left out.
        string folder = Path.Combine(root, "challenge");
        string[][] diagnoses = [["426783006"], ["164889003"], ["426783006", "59118001"], ["164889003", "713427006"], ["164861001"]];
        for (int i = 0; i < 40; i++)
            WriteChallengeRecord(Path.Combine(folder, i % 2 == 0 ? "cpsc" : Path.Combine("georgia", "g1")), $"E{i:D4}", diagnoses[i % diagnoses.Length], i);

        string run = Run("records-evaluate.json", "--set", $"data.records={folder}", "--set", "model.dModel=8", "--set", "training.epochs=1");

        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
        var data = metrics["data"]!;
        Assert.False((bool)data["synthetic"]!);
        Assert.Equal(8, (int)data["leftOut"]!["noScoredLabel"]!);
        Assert.Equal(32, (int)data["train"]! + (int)data["validation"]! + (int)data["test"]!);
        int Positives(string abbreviation) => data["positives"]!.AsArray()
            .Where(p => (string)p!["class"]! == abbreviation).Sum(p => (int)p!["train"]! + (int)p!["validation"]! + (int)p!["test"]!);
        Assert.Equal(16, Positives("NSR"));
        Assert.Equal(16, Positives("AF"));
        Assert.Equal(16, Positives("CRBBB"));
        var rows = metrics["rows"]!.AsArray();
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.InRange((double)r!["challenge"]!, -10, 1));
        Assert.All(rows, r => Assert.InRange((double)r!["auroc"]!, 0, 1));
        Assert.Contains("| challenge score |", File.ReadAllText(Path.Combine(run, "results.md")));
    }

    private static void WriteChallengeRecord(string folder, string name, string[] codes, int seed)
    {
        Directory.CreateDirectory(folder);
        string[] leads = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"];
        const int Rate = 500, Samples = 5000;
        var random = new Random(seed);
        double rate = codes.Contains("164889003") ? 2.1 : 1.2;
        var samples = new short[Samples * leads.Length];
        for (int t = 0; t < Samples; t++)
            for (int l = 0; l < leads.Length; l++)
                samples[t * leads.Length + l] = (short)(1000 * Math.Sin(2 * Math.PI * rate * t / Rate + l) + random.Next(-30, 30));
        var bytes = new byte[24 + samples.Length * 2];
        Buffer.BlockCopy(samples, 0, bytes, 24, samples.Length * 2);
        File.WriteAllBytes(Path.Combine(folder, name + ".mat"), bytes);
        var header = new List<string> { $"{name} 12 {Rate} {Samples}" };
        for (int l = 0; l < leads.Length; l++)
        {
            int checksum = 0;
            for (int t = 0; t < Samples; t++) checksum += samples[t * leads.Length + l];
            header.Add($"{name}.mat 16+24 1000/mV 16 0 {samples[l]} {(short)checksum} 0 {leads[l]}");
        }
        header.AddRange(["#Age: 61", "#Sex: Female", $"#Dx: {string.Join(',', codes)}", "#Rx: Unknown", "#Hx: Unknown", "#Sx: Unknown"]);
        File.WriteAllLines(Path.Combine(folder, name + ".hea"), header);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
