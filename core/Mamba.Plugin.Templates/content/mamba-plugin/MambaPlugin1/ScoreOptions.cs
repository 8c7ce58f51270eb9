using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace MambaPlugin1;

/// <summary>Options of the <c>score</c> task, bound from the job's <c>options</c> (camelCase keys).</summary>
public sealed class ScoreOptions
{
    /// <summary>The series file, relative to the job file.</summary>
    [Required(AllowEmptyStrings = false), Description("Series file, relative to the job file.")]
    public string Path { get; set; } = "";

    /// <summary>A reader's format name; empty picks the reader by file extension.</summary>
    [Description("Reader format (for example 'tsv'); empty picks one by the file's extension.")]
    public string? Format { get; set; }

    /// <summary>The column to forecast.</summary>
    [Required(AllowEmptyStrings = false), Description("Column to forecast.")]
    public string Column { get; set; } = "";

    /// <summary>How many past values the moving average uses.</summary>
    [Range(1, 10_000), Description("Past values averaged for each forecast.")]
    public int Window { get; set; } = 3;
}
