using Mamba.Genomics.Data;
using Mamba.Genomics.Models;
using Mamba.Genomics.Tokens;
using Mamba.Sdk.Data;
using Mamba.Sdk.Jobs;

namespace Mamba.Genomics.Tasks;

/// <summary>One record's tokens and its contiguous training, validation and test regions (in that order).</summary>
public sealed record RecordRegions(string Id, int[] Tokens, int TrainEnd, int ValidationEnd)
{
    /// <summary>The training region: the record's start up to the validation region.</summary>
    public int[] Train => Tokens[..TrainEnd];

    /// <summary>The validation region, just before the test region.</summary>
    public int[] Validation => Tokens[TrainEnd..ValidationEnd];

    /// <summary>The test region at the record's end.</summary>
    public int[] Test => Tokens[ValidationEnd..];

    /// <summary>Divides <paramref name="tokens"/> by the shares of <paramref name="data"/>.</summary>
    public static RecordRegions Of(string id, int[] tokens, GenomicsDataOptions data)
    {
        int validationEnd = (int)(tokens.Length * (1 - data.TestFraction));
        int trainEnd = (int)(tokens.Length * (1 - data.TestFraction - data.ValidationFraction));
        return new RecordRegions(id, tokens, trainEnd, validationEnd);
    }
}

/// <summary>What the genomics tasks share: reading sequences, building, loading and saving models.</summary>
internal static class GenomicsPipeline
{
    public const string ModelName = "language-model";

    /// <summary>Every record of <c>data.sequences</c>; an empty file or record is an error naming it.</summary>
    public static async Task<List<SequenceRecord>> ReadRecordsAsync(JobContext context, GenomicsDataOptions data, CancellationToken cancellation)
    {
        string path = context.ResolvePath(data.Sequences);
        var records = new List<SequenceRecord>();
        await foreach (var record in SequenceReader.ReadAsync(path, new SequenceReaderOptions { Ambiguity = data.Ambiguity }, cancellation))
        {
            if (record.Bases.Length == 0) throw new DataFormatException(path, $"record '{record.Id}' has no bases");
            records.Add(record);
        }
        return records;
    }

    /// <summary>Records split into regions, logged.</summary>
    public static async Task<List<RecordRegions>> ReadRegionsAsync(JobContext context, GenomicsDataOptions data, CancellationToken cancellation)
    {
        var records = await ReadRecordsAsync(context, data, cancellation);
        var regions = records.Select(r => RecordRegions.Of(r.Id, NucleotideTokenizer.Encode(r.Bases), data)).ToList();
        long bases = regions.Sum(r => (long)r.Tokens.Length), train = regions.Sum(r => (long)r.TrainEnd), test = regions.Sum(r => (long)(r.Tokens.Length - r.ValidationEnd));
        context.Logger.LogSequences(data.Sequences, regions.Count, bases, train, bases - train - test, test);
        return regions;
    }

    /// <summary>The model saved by an earlier run (<c>model.weights</c>), or a new one shaped by <c>model</c>.</summary>
    public static DnaLanguageModel CreateOrLoad(JobContext context, GenomicsModelOptions options)
    {
        DnaLanguageModel model;
        if (options.Weights is { } weights)
        {
            model = context.Models.Load<DnaModelSpec, DnaLanguageModel>(weights, ModelName, spec => Build(spec, "options.model.weights")).Model;
        }
        else
        {
            model = Build(options.ToSpec(), "options.model");
        }
        var s = model.Spec;
        string objective = s.Objective.ToString();
        long parameters = model.parameters().Sum(p => p.numel());
        context.Logger.LogModel(objective, s.Layers, s.ModelDim, s.ReverseComplementEquivariant, parameters);
        return model;
    }

    /// <summary>The loaded model, which must be causal for <paramref name="task"/>.</summary>
    public static DnaLanguageModel LoadCausal(JobContext context, GenomicsModelOptions options, string task)
    {
        if (options.Weights is null) throw new JobOptionsException("options.model.weights", $"{task} needs a pretrained model: the run folder of a pretrain job");
        var model = CreateOrLoad(context, options);
        if (model.Spec.Objective != Objective.Causal)
        {
            model.Dispose();
            throw new JobOptionsException("options.model.weights", $"{task} needs a causal model; {options.Weights} holds a {model.Spec.Objective.ToString().ToLowerInvariant()} one");
        }
        return model;
    }

    /// <summary>Saves <paramref name="model"/> as the run's language model, with its shape as config.</summary>
    public static void Save(JobContext context, DnaLanguageModel model) => context.Models.Save(ModelName, model, model.Spec);

    private static DnaLanguageModel Build(DnaModelSpec spec, string key)
    {
        try
        {
            return new DnaLanguageModel(spec);
        }
        catch (ArgumentException error)
        {
            throw new JobOptionsException(key, error.Message);
        }
    }
}
