using Mamba.Genomics.Data;
using Mamba.Sdk.Exports;
using Mamba.Sdk.Jobs;

namespace Mamba.Genomics.Tasks;

/// <summary>
/// A genomics task: before the run starts, the sequence file's first record is read (plain or gzip, FASTA or
/// FASTQ), so a file of another format or a damaged start is refused by <c>validate</c> too. The rest of the file is
/// only read by the run, which streams it.
/// </summary>
public abstract class SequenceJobTask : JobTask<GenomicsJobOptions>
{
    /// <inheritdoc/>
    protected override void Check(JobCheckContext context, GenomicsJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        string path = context.ResolvePath(options.Data.Sequences);
        var records = SequenceReader.ReadAsync(path, new SequenceReaderOptions { Ambiguity = options.Data.Ambiguity }).GetAsyncEnumerator();
        try
        {
            records.MoveNextAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            records.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
