using System.Text.Json.Nodes;

namespace Mamba.Host.Tests;

/// <summary><c>mamba plugins inspect</c>: every option of every bundled task, described, with its default.</summary>
public sealed class InspectTests
{
    private static readonly string[] Plugins = ["ecg", "forecasting", "genomics", "graphs", "retrieval", "tracking"];

    [Fact]
    public void Every_option_of_every_bundled_task_has_a_description_and_shows_its_default()
    {
        var missing = new List<string>();
        int options = 0;
        foreach (string plugin in Plugins)
        {
            var (code, output, errors) = MambaProcess.Run(Path.GetTempPath(), ["plugins", "inspect", plugin]);
            Assert.True(code == 0, $"inspect {plugin}: {errors}");
            var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
            string task = "";
            for (int i = 0; i < lines.Count; i++)
            {
                if (lines[i].StartsWith("task ", StringComparison.Ordinal)) task = lines[i].Split(':')[0];
                if (!lines[i].StartsWith("  ", StringComparison.Ordinal) || lines[i].StartsWith("      ", StringComparison.Ordinal)) continue;
                options++;
                string key = lines[i].Trim().Split(' ')[0];
                // "key = value", "key (unset)" or "key (required)": never a key alone.
                if (!lines[i].Contains(" = ", StringComparison.Ordinal) && !lines[i].Contains(" (unset)", StringComparison.Ordinal) && !lines[i].Contains(" (required)", StringComparison.Ordinal))
                    missing.Add($"{plugin} {task} {key}: no default shown");
                if (i + 1 >= lines.Count || lines[i + 1].Trim().Length == 0 || !lines[i + 1].StartsWith("      ", StringComparison.Ordinal))
                    missing.Add($"{plugin} {task} {key}: no description");
            }
        }
        Assert.True(options > 500, $"only {options} option lines were read");
        Assert.Empty(missing);
    }

    [Fact]
    public void A_task_lists_only_the_options_it_reads_in_job_file_spelling_and_json_schema_keeps_defaults()
    {
        var (_, bench, _) = MambaProcess.Run(Path.GetTempPath(), ["plugins", "inspect", "retrieval", "bench"]);
        var (_, train, _) = MambaProcess.Run(Path.GetTempPath(), ["plugins", "inspect", "retrieval", "train"]);
        var (code, json, errors) = MambaProcess.Run(Path.GetTempPath(), ["plugins", "inspect", "forecasting", "evaluate", "--json"]);

        Assert.Contains("  bench.lengths = [512,2048,8192,32768]", bench, StringComparison.Ordinal);
        Assert.DoesNotContain("  training.", bench, StringComparison.Ordinal);
        Assert.DoesNotContain("  bench.", train, StringComparison.Ordinal);
        Assert.Contains("  data.format = files    choice: files, faq-text, titles, inverse-cloze", train, StringComparison.Ordinal);
        Assert.True(code == 0, errors);
        var task = Assert.Single(JsonNode.Parse(json)!["tasks"]!.AsArray());
        var data = task!["optionsSchema"]!["properties"]!["data"]!["properties"]!;
        Assert.Equal(96, (int)data["lookback"]!["default"]!);
        Assert.Equal("M", (string)data["features"]!["default"]!);
        Assert.Equal("number", (string)task["optionsSchema"]!["properties"]!["model"]!["properties"]!["dropout"]!["type"]!);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);
    }
}
