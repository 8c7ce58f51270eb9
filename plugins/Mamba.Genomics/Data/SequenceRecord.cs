namespace Mamba.Genomics.Data;

/// <summary>One FASTA or FASTQ record: its id (the header's first word), the rest of the header, and the bases.</summary>
/// <param name="Id">The header up to the first whitespace.</param>
/// <param name="Description">The rest of the header line.</param>
/// <param name="Bases">The sequence after normalisation (see <see cref="SequenceReaderOptions"/>).</param>
/// <param name="Masked">Per base, whether it was lowercase (soft-masked) in the file; null when nothing was.</param>
/// <param name="Qualities">FASTQ quality string (Phred+33), null for FASTA.</param>
public sealed record SequenceRecord(string Id, string Description, string Bases, bool[]? Masked = null, string? Qualities = null);

/// <summary>How the readers treat IUPAC ambiguity codes and lowercase.</summary>
public sealed record SequenceReaderOptions
{
    /// <summary>What to do with IUPAC ambiguity codes (R, Y, S, W, K, M, B, D, H, V).</summary>
    public AmbiguityHandling Ambiguity { get; init; } = AmbiguityHandling.MapToN;

    /// <summary>Record soft-masked (lowercase) positions in <see cref="SequenceRecord.Masked"/>; bases are upper-cased either way.</summary>
    public bool KeepMask { get; init; }
}

/// <summary>IUPAC ambiguity handling.</summary>
public enum AmbiguityHandling
{
    /// <summary>Read an ambiguity code as N (unknown base).</summary>
    MapToN,

    /// <summary>Refuse the file, naming the line and character.</summary>
    Reject,
}
