using System.IO.Compression;
using System.Text;
using Mamba.Core.Checkpoints;
using Mamba.Ecg.Wfdb;
using Mamba.Forecasting;
using Mamba.Forecasting.Data;
using Mamba.Genomics.Data;
using Mamba.Graphs;
using Mamba.Graphs.Data;
using Mamba.Host.Jobs;
using Mamba.Host.Plugins;
using Mamba.Retrieval.Data;
using Mamba.Sdk.Data;
using Mamba.Sdk.Jobs;
using Mamba.Tracking.Data;
using static TorchSharp.torch;

namespace Mamba.Fuzz.Tests;

/// <summary>
/// Every reader of user files against edited copies of a valid file (<see cref="ReaderFuzz"/>): a result or its
/// documented error, never another exception. The seeds are small real or labelled-synthetic files.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("mamba-fuzz-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static string Seed(string name) => Path.Combine(AppContext.BaseDirectory, "seeds", name);

    private static byte[] Lines(string path, int count) => Encoding.UTF8.GetBytes(string.Join('\n', File.ReadLines(path).Take(count)) + "\n");

    private string Place(string name, byte[] bytes)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Series_csv_and_its_preparation()
    {
        var options = new DataOptions { Path = "weather.csv", Lookback = 8, Horizons = [4], Missing = MissingValuePolicy.Linear };
        ReaderFuzz.Check("series csv", Lines(Seed("weather_wide.csv"), 80), bytes =>
        {
            var frame = new SeriesCsvReader().Read(Place("weather.csv", bytes), CancellationToken.None);
            ForecastDataset.Prepare(frame, options);
        }, typeof(DataFormatException), typeof(JobOptionsException));
    }

    private static string Genome(int lines)
    {
        var random = new Random(7);
        var text = new StringBuilder(">chr1 synthetic\n");
        for (int i = 0; i < lines; i++) text.Append(string.Concat(Enumerable.Range(0, 60).Select(_ => "ACGTN"[random.Next(5)]))).Append('\n');
        return text.Append(">chr2\nACGTACGTRYKM\n").ToString();
    }

    private async Task ReadSequences(string name, byte[] bytes)
    {
        await foreach (var _ in SequenceReader.ReadAsync(Place(name, bytes)))
        {
        }
    }

    [Fact]
    public void Fasta_plain() => ReaderFuzz.Check("fasta", Encoding.ASCII.GetBytes(Genome(20)), bytes => ReadSequences("g.fa", bytes), typeof(DataFormatException));

    [Fact]
    public void Fastq_plain() => ReaderFuzz.Check("fastq", Encoding.ASCII.GetBytes("@r1 lane 1\nACGTN\n+\nIIIII\n@r2\nGGCCA\n+r2\n!!!!#\n"),
        bytes => ReadSequences("r.fq", bytes), typeof(DataFormatException));

    [Fact]
    public void Fasta_gzip()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(Encoding.ASCII.GetBytes(Genome(40)));
        ReaderFuzz.Check("fasta.gz", buffer.ToArray(), bytes => ReadSequences("g.fa.gz", bytes), typeof(DataFormatException));
    }

    /// <summary>Two seconds of MIT-BIH record 208 (real), written back as a one-signal format-212 record.</summary>
    private (byte[] Header, byte[] Signal) Wfdb()
    {
        var full = WfdbFiles.Read(Seed("mitdb208.hea"));
        int[] samples = full.Digital[0][..720];
        var signal = full.Header.Signals[0] with { FileName = "rec.dat", Checksum = WfdbFiles.Checksum(samples) };
        var header = full.Header with { RecordName = "rec", SampleCount = samples.Length, Signals = [signal] };
        string source = Directory.CreateDirectory(Path.Combine(folder, "source")).FullName;
        WfdbFiles.Write(source, new WfdbRecord(header, [samples]));
        return (File.ReadAllBytes(Path.Combine(source, "rec.hea")), File.ReadAllBytes(Path.Combine(source, "rec.dat")));
    }

    [Fact]
    public void Wfdb_header()
    {
        var (header, signal) = Wfdb();
        Place("rec.dat", signal);
        ReaderFuzz.Check("wfdb header", header, bytes => WfdbFiles.Read(Place("rec.hea", bytes)), typeof(DataFormatException));
    }

    [Fact]
    public void Wfdb_signal()
    {
        var (header, signal) = Wfdb();
        string path = Place("rec.hea", header);
        ReaderFuzz.Check("wfdb signal", signal, bytes =>
        {
            Place("rec.dat", bytes);
            WfdbFiles.Read(path);
        }, typeof(DataFormatException));
    }

    [Fact]
    public void Mot_detections_and_ground_truth()
    {
        byte[] detections = Encoding.ASCII.GetBytes("1,-1,10,20,30,40,0.9,-1,-1,-1\n1,-1,50,60,30,40,0.8,-1,-1,-1\n2,-1,12,21,30,40,0.95,-1,-1,-1\n");
        byte[] truth = Encoding.ASCII.GetBytes("1,1,10,10,20,40,1,1,0.8\n1,2,50,10,20,40,0,7,1\n2,1,11,10,20,40,1,1,0.8\n");
        ReaderFuzz.Check("mot det", detections, bytes => MotFiles.ReadAsync(Place("det.txt", bytes), false, CancellationToken.None),
            typeof(DataFormatException));
        ReaderFuzz.Check("mot gt", truth, bytes => MotFiles.ReadAsync(Place("gt.txt", bytes), true, CancellationToken.None),
            typeof(DataFormatException));
        ReaderFuzz.Check("seqinfo", Encoding.ASCII.GetBytes(new SequenceInfo("dance-01", 20, 300, 1920, 1080).Format()),
            bytes => SequenceInfo.ReadAsync(Place("seqinfo.ini", bytes), CancellationToken.None), typeof(DataFormatException));
    }

    [Fact]
    public void Edge_list_and_node_table()
    {
        byte[] edges = Lines(Seed("karate.edges.csv"), 40), nodes = File.ReadAllBytes(Seed("karate.nodes.csv"));
        var options = new GraphDataOptions { LabelColumn = "club" };
        string nodesPath = Place("nodes.csv", nodes), edgesPath = Place("edges.csv", edges);
        ReaderFuzz.Check("edge list", edges, bytes => GraphFiles.ReadAsync(Place("edges.csv", bytes), nodesPath, options, CancellationToken.None),
            typeof(DataFormatException));
        Place("edges.csv", edges);
        ReaderFuzz.Check("node table", nodes, bytes => GraphFiles.ReadAsync(edgesPath, Place("nodes.csv", bytes), options, CancellationToken.None),
            typeof(DataFormatException));
    }

    [Fact]
    public async Task Retrieval_corpus_queries_and_judgments()
    {
        byte[] corpus = Encoding.UTF8.GetBytes("""
            {"id": "d1", "title": "Wheat", "text": "Wheat exports rose in March."}
            {"id": "d2", "title": "Oil", "text": "Crude oil fell. Prices \"slid\" again."}
            {"id": "d3", "text": "Gold was flat."}

            """);
        byte[] tsv = Encoding.UTF8.GetBytes("q1\twheat exports\nq2\toil prices\n");
        byte[] jsonl = Encoding.UTF8.GetBytes("{\"id\": \"q1\", \"text\": \"wheat exports\"}\n{\"id\": \"q2\", \"text\": \"oil\"}\n");
        byte[] trec = Encoding.UTF8.GetBytes("q1 0 d1 1\nq2 0 d2 2\nq2 0 d3 0\n");
        byte[] judgments = Encoding.UTF8.GetBytes("{\"query\": \"q1\", \"passage\": \"d1\", \"relevance\": 1}\n{\"query\": \"q2\", \"passage\": \"d2\"}\n");

        ReaderFuzz.Check("jsonl corpus", corpus, bytes => RetrievalFiles.ReadCorpusAsync(Place("c.jsonl", bytes), new CorpusFields(), CancellationToken.None),
            typeof(DataFormatException));
        ReaderFuzz.Check("tsv queries", tsv, bytes => RetrievalFiles.ReadQueries(Place("q.tsv", bytes)), typeof(DataFormatException));
        ReaderFuzz.Check("jsonl queries", jsonl, bytes => RetrievalFiles.ReadQueries(Place("q.jsonl", bytes)), typeof(DataFormatException));
        var passages = await RetrievalFiles.ReadCorpusAsync(Place("c.jsonl", corpus), new CorpusFields(), CancellationToken.None);
        var queries = RetrievalFiles.ReadQueries(Place("q.tsv", tsv));
        ReaderFuzz.Check("trec qrels", trec, bytes => RetrievalFiles.ReadJudgments(Place("j.qrels", bytes), queries, passages), typeof(DataFormatException));
        ReaderFuzz.Check("jsonl judgments", judgments, bytes => RetrievalFiles.ReadJudgments(Place("j.jsonl", bytes), queries, passages), typeof(DataFormatException));
    }

    [Fact]
    public void Safetensors_files()
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, new Dictionary<string, Tensor> { ["layers.0.mixer.A_log"] = ones(4, 2), ["embedding.weight"] = arange(6, dtype: ScalarType.Int64) },
            new Dictionary<string, string> { ["format"] = "pt" });
        ReaderFuzz.Check("safetensors", stream.ToArray(), bytes =>
        {
            using var content = Safetensors.Load(Place("m.safetensors", bytes));
        }, typeof(SafetensorsFormatException));
    }

    [Fact]
    public void Plugin_manifests() => ReaderFuzz.Check("plugin.json",
        Encoding.UTF8.GetBytes("""{ "id": "arrow-series", "version": "1.2.0", "sdk": "[1.1,2.0)", "entryAssembly": "ArrowSeries.dll", "description": "x", "extends": ["forecasting"] }"""),
        bytes => PluginManifest.Read(Place("plugin.json", bytes)), typeof(PluginManifestException));

    [Fact]
    public void Job_files_and_their_options() => ReaderFuzz.Check("job", File.ReadAllBytes(Seed("weather-evaluate.json")), bytes =>
    {
        var job = JobFile.Load(Place("job.json", bytes), []);
        OptionsBinder.Bind(job.Options, typeof(ForecastOptions));
    }, typeof(JobOptionsException));
}
