using System.Numerics.Tensors;
using Mamba.Core.Checkpoints;
using Mamba.Retrieval.Lexical;
using Mamba.Sdk.Data;
using Parquet.Serialization;

namespace Mamba.Retrieval.Dense;

/// <summary>
/// Exact top-k search over unit vectors (inner product = cosine) with SIMD dot products (System.Numerics.Tensors).
/// Vectors are appended in place (<see cref="Add"/>) and kept as Parquet: an <c>id</c> column and an
/// <c>embedding</c> list column.
/// </summary>
public sealed class VectorIndex
{
    private readonly List<string> ids = [];
    private readonly Dictionary<string, int> positions = new(StringComparer.Ordinal);
    private float[] vectors = [];

    /// <summary>An empty index of <paramref name="dimension"/>-dimensional vectors.</summary>
    public VectorIndex(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Dimension = dimension;
    }

    /// <summary>Vector length.</summary>
    public int Dimension { get; }

    /// <summary>Vectors held.</summary>
    public int Count => ids.Count;

    /// <summary>Appends vectors (row-major, <see cref="Dimension"/> each) under new ids.</summary>
    public void Add(IReadOnlyList<string> newIds, ReadOnlySpan<float> newVectors)
    {
        ArgumentNullException.ThrowIfNull(newIds);
        if (newVectors.Length != newIds.Count * Dimension)
            throw new ArgumentException($"expected {newIds.Count} × {Dimension} floats, got {newVectors.Length}", nameof(newVectors));
        foreach (string id in newIds)
            if (positions.ContainsKey(id)) throw new ArgumentException($"id '{id}' is already in the index", nameof(newIds));
        int old = vectors.Length;
        Array.Resize(ref vectors, old + newVectors.Length);
        newVectors.CopyTo(vectors.AsSpan(old));
        foreach (string id in newIds) { positions[id] = ids.Count; ids.Add(id); }
    }

    /// <summary>The <paramref name="k"/> vectors with the largest inner product with <paramref name="query"/>, best first.</summary>
    public List<Hit> Search(ReadOnlySpan<float> query, int k)
    {
        if (query.Length != Dimension) throw new ArgumentException($"query has {query.Length} dimensions, the index {Dimension}", nameof(query));
        var best = new PriorityQueue<int, float>(k + 1);
        for (int i = 0; i < ids.Count; i++)
        {
            float score = TensorPrimitives.Dot(query, vectors.AsSpan(i * Dimension, Dimension));
            if (best.Count < k) best.Enqueue(i, score);
            else if (best.TryPeek(out _, out float worst) && score > worst) best.EnqueueDequeue(i, score);
        }
        var hits = new List<Hit>(best.Count);
        while (best.TryDequeue(out int i, out float score)) hits.Add(new Hit(ids[i], score));
        hits.Reverse();
        return hits;
    }

    /// <summary>Writes the index to <paramref name="path"/> atomically.</summary>
    public Task SaveAsync(string path, CancellationToken cancellation)
    {
        var rows = ids.Select((id, i) => new Row { Id = id, Embedding = vectors.AsSpan(i * Dimension, Dimension).ToArray() }).ToList();
        return AtomicFile.WriteAsync(path, (stream, token) => ParquetSerializer.SerializeAsync(rows, stream, cancellationToken: token), cancellation);
    }

    /// <summary>Reads an index <see cref="SaveAsync"/> wrote; every row must have the same dimension.</summary>
    public static async Task<VectorIndex> LoadAsync(string path, CancellationToken cancellation)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "no such file");
        IList<Row> rows;
        try
        {
            await using var stream = File.OpenRead(path);
            rows = (await ParquetSerializer.DeserializeAsync<Row>(stream, cancellationToken: cancellation)).Data;
        }
        catch (Exception error) when (error is IOException or InvalidDataException or Parquet.ParquetException or NotSupportedException or InvalidOperationException)
        {
            throw new DataFormatException(path, $"not a vector index (Parquet with id and embedding columns): {error.Message}", inner: error);
        }
        if (rows.Count == 0) throw new DataFormatException(path, "the index is empty");
        int dimension = rows[0].Embedding.Length;
        var index = new VectorIndex(dimension);
        var flat = new float[rows.Count * dimension];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Embedding.Length != dimension) throw new DataFormatException(path, $"embedding has {rows[i].Embedding.Length} values, the first row {dimension}", i + 1, "embedding");
            rows[i].Embedding.CopyTo(flat, i * dimension);
        }
        try { index.Add([.. rows.Select(r => r.Id)], flat); }
        catch (ArgumentException error) { throw new DataFormatException(path, error.Message, column: "id", inner: error); }
        return index;
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";

        public float[] Embedding { get; set; } = [];
    }
}
