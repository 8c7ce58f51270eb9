using Mamba.Graphs.Data;
using Mamba.Sdk.Data;

namespace Mamba.Graphs.Tests;

public sealed class GraphFilesTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("graph-files-").FullName;

    public void Dispose() => Directory.Delete(folder, true);

    internal static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    internal static Task<Graph> Karate() =>
        GraphFiles.ReadAsync(Data("karate.edges.csv"), Data("karate.nodes.csv"), new GraphDataOptions { LabelColumn = "club" }, CancellationToken.None);

    [Fact]
    public async Task Karate_has_34_members_78_friendships_and_two_factions()
    {
        var graph = await Karate();

        Assert.Equal(34, graph.NodeCount);
        Assert.Equal(2 * 78, graph.EntryCount);
        Assert.Equal(["Mr. Hi", "Officer"], graph.Classes);
        Assert.Equal(16, graph.Degree(0));
    }

    [Fact]
    public async Task Polblogs_largest_component_has_the_1222_blogs_of_the_literature()
    {
        var graph = await GraphFiles.ReadAsync(Data("polblogs.edges.csv"), Data("polblogs.nodes.csv"),
            new GraphDataOptions { LabelColumn = "value", LargestComponent = true }, CancellationToken.None);

        Assert.Equal(1222, graph.NodeCount);
        Assert.Equal(["0", "1"], graph.Classes);
    }

    [Fact]
    public async Task A_headerless_edge_list_with_comments_and_mixed_separators_reads_as_its_csv_twin()
    {
        var edges = File.ReadLines(Data("karate.edges.csv")).Skip(1).Select(line => line.Split(',')).ToList();
        string headerless = Write("karate.txt", ["# Zachary's karate club, SNAP style", "% KONECT comment",
            .. edges.Select((e, i) => (i % 3) switch { 0 => $"{e[0]}\t{e[1]}", 1 => $"{e[0]}  {e[1]}", _ => $"{e[0]},{e[1]},{e[2]}" })]);
        var csv = await Karate();

        var graph = await GraphFiles.ReadAsync(headerless, Data("karate.nodes.csv"),
            new GraphDataOptions { LabelColumn = "club", Header = false }, CancellationToken.None);

        Assert.Equal(csv.NodeCount, graph.NodeCount);
        Assert.Equal(csv.EntryCount, graph.EntryCount);
        Assert.Equal(Enumerable.Range(0, csv.NodeCount).Select(csv.Degree), Enumerable.Range(0, graph.NodeCount).Select(graph.Degree));
    }

    [Fact]
    public async Task A_headerless_line_with_one_field_names_its_line_in_the_file()
    {
        string nodes = Write("nodes.csv", "id,label", "a,x", "b,y");
        string edges = Write("edges.txt", "# comment", "a b", "", "b");

        var error = await Assert.ThrowsAsync<DataFormatException>(() =>
            GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions { Header = false }, CancellationToken.None));

        Assert.Equal(4, error.Row);
        Assert.Contains("needs a source and a target", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edge_columns_can_have_other_names_and_a_missing_one_says_how_to_name_them()
    {
        string nodes = Write("nodes.csv", "id,label", "a,x", "b,y");
        string edges = Write("edges.csv", "from,to", "a,b", "b,c");

        var graph = GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions { SourceColumn = "from", TargetColumn = "to" }, CancellationToken.None);
        var unknown = await Assert.ThrowsAsync<DataFormatException>(() => graph);
        var unnamed = await Assert.ThrowsAsync<DataFormatException>(() => GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions(), CancellationToken.None));

        Assert.Equal("to", unknown.Column);
        Assert.Equal(3, unknown.Row);
        Assert.Contains("no column 'source' (columns: from, to)", unnamed.Message, StringComparison.Ordinal);
        Assert.Contains("data.sourceColumn and data.targetColumn, or set data.header to false", unnamed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_numeric_column_but_id_label_and_split_becomes_a_node_feature_under_a_star()
    {
        string nodes = Write("nodes.csv", "id,label,split,age,note,score", "7,x,train,30,ok,0.5", "8,y,test,41,n/a,-1e2");
        string edges = Write("edges.csv", "source,target", "7,8");

        var graph = await GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions { SplitColumn = "split", FeatureColumns = ["*"] }, CancellationToken.None);

        Assert.Equal(["age", "score"], graph.Attributes!.Names);
        Assert.Equal([30, 0.5, 41, -100], graph.Attributes.Values);
    }

    [Fact]
    public async Task A_named_feature_column_with_a_missing_or_non_numeric_cell_names_its_row()
    {
        string nodes = Write("nodes.csv", "id,label,note,age", "a,x,ok,3", "b,y,late,", "c,x,?,1");
        string edges = Write("edges.csv", "source,target", "a,b");

        var missing = await Assert.ThrowsAsync<DataFormatException>(() =>
            GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions { FeatureColumns = ["age"] }, CancellationToken.None));
        var text = await Assert.ThrowsAsync<DataFormatException>(() =>
            GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions { FeatureColumns = ["note"] }, CancellationToken.None));
        var label = await Assert.ThrowsAsync<DataFormatException>(() =>
            GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions { FeatureColumns = ["label"] }, CancellationToken.None));

        Assert.Equal((3L, "age"), (missing.Row!.Value, missing.Column!));
        Assert.Contains("missing feature value", missing.Message, StringComparison.Ordinal);
        Assert.Equal((2L, "note"), (text.Row!.Value, text.Column!));
        Assert.Contains("cannot be a node feature", label.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edge_to_an_unknown_node_names_file_row_and_column()
    {
        string nodes = Write("nodes.csv", "id,label", "a,x", "b,y");
        string edges = Write("edges.csv", "source,target", "a,b", "b,c");

        var error = await Assert.ThrowsAsync<DataFormatException>(() => GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions(), CancellationToken.None));

        Assert.Equal(edges, error.File);
        Assert.Equal(3, error.Row);
        Assert.Equal("target", error.Column);
        Assert.Contains("unknown node id 'c'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_edge_row_with_one_field_names_file_and_row()
    {
        string nodes = Write("nodes.csv", "id,label", "a,x", "b,y");
        string edges = Write("edges.csv", "source,target", "a,b", "b");

        var error = await Assert.ThrowsAsync<DataFormatException>(() => GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions(), CancellationToken.None));

        Assert.Equal(edges, error.File);
        Assert.Equal(3, error.Row);
        Assert.Contains("1 fields, the header has 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repeated_column_name_is_refused_naming_it()
    {
        string nodes = Write("nodes.csv", "id,label,label", "a,x,y");
        string edges = Write("edges.csv", "source,target", "a,a");

        var error = await Assert.ThrowsAsync<DataFormatException>(() => GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions(), CancellationToken.None));

        Assert.Equal("label", error.Column);
        Assert.Contains("the header names 'label' 2 times", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_node_id_is_refused_with_both_rows()
    {
        string nodes = Write("nodes.csv", "id,label", "a,x", "b,y", "a,y");
        string edges = Write("edges.csv", "source,target", "a,b");

        var error = await Assert.ThrowsAsync<DataFormatException>(() => GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions(), CancellationToken.None));

        Assert.Equal(4, error.Row);
        Assert.Contains("duplicate node id 'a' (first at row 2)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_training_node_without_a_label_is_refused()
    {
        string nodes = Write("nodes.csv", "id,label,split", "a,x,train", "b,,train", "c,y,test");
        string edges = Write("edges.csv", "source,target", "a,b", "b,c");

        var error = await Assert.ThrowsAsync<DataFormatException>(() => GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions { SplitColumn = "split" }, CancellationToken.None));

        Assert.Equal(3, error.Row);
        Assert.Equal("label", error.Column);
    }

    [Fact]
    public async Task A_missing_label_column_lists_the_columns()
    {
        string nodes = Write("nodes.csv", "id,club", "a,x", "b,y");
        string edges = Write("edges.csv", "source,target", "a,b");

        var error = await Assert.ThrowsAsync<DataFormatException>(() => GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions(), CancellationToken.None));

        Assert.Contains("no column 'label' (columns: id, club)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parquet_tables_read_like_csv()
    {
        string nodes = Path.Combine(folder, "nodes.parquet");
        string edges = Path.Combine(folder, "edges.parquet");
        await using (var stream = File.Create(nodes))
            await ParquetTable.WriteAsync(stream, [new("id", new[] { "n1", "n2", "n3" }), new("label", new[] { "a", "b", "a" })]);
        await using (var stream = File.Create(edges))
            await ParquetTable.WriteAsync(stream, [new("source", new[] { "n1", "n2" }), new("target", new[] { "n2", "n3" }), new("weight", new[] { 2.0, 0.5 })]);

        var graph = await GraphFiles.ReadAsync(edges, nodes, new GraphDataOptions(), CancellationToken.None);

        Assert.Equal(3, graph.NodeCount);
        Assert.Equal(2, graph.Degree(1));
        Assert.Equal([2f, 0.5f], graph.Weights.Skip(graph.Offsets[1]).Take(2));
    }

    private string Write(string name, params string[] lines)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }
}
