using System.Runtime.InteropServices;

namespace Mamba.Core.Scan.Cpu;

/// <summary>A worker's 64-byte-aligned float buffer, outside the GC heap so kernels hold plain pointers to it.</summary>
internal sealed unsafe class Scratch : IDisposable
{
    public Scratch(long floats)
    {
        Length = Math.Max(floats, 1);
        Data = (float*)NativeMemory.AlignedAlloc((nuint)(Length * sizeof(float)), 64);
    }

    public float* Data { get; private set; }

    public long Length { get; }

    /// <summary>Consecutive slices of the buffer, of the given lengths.</summary>
    public float* Slice(long offset) => Data + offset;

    public void Clear() => NativeMemory.Clear(Data, (nuint)(Length * sizeof(float)));

    public void Dispose()
    {
        if (Data == null) return;
        NativeMemory.AlignedFree(Data);
        Data = null;
    }
}
