using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Mamba.Core.Scan.Cpu;

/// <summary>The SIMD widths the fused CPU kernels are compiled for.</summary>
internal enum SimdWidth
{
    /// <summary>4 floats: SSE on x64, NEON on Arm64.</summary>
    Bits128 = 128,

    /// <summary>8 floats: AVX2.</summary>
    Bits256 = 256,

    /// <summary>16 floats: AVX-512.</summary>
    Bits512 = 512,
}

/// <summary>Which widths this processor runs natively.</summary>
internal static class SimdWidths
{
    /// <summary>The widest width the processor accelerates; 128 bits where none is (the kernels then run in software).</summary>
    public static SimdWidth Widest =>
        Vector512.IsHardwareAccelerated ? SimdWidth.Bits512
        : Vector256.IsHardwareAccelerated ? SimdWidth.Bits256
        : SimdWidth.Bits128;

    /// <summary>The one of three per-width instantiations (of a kernel entry point, say) that <paramref name="width"/> selects.</summary>
    public static T Pick<T>(SimdWidth width, T bits512, T bits256, T bits128) => width switch
    {
        SimdWidth.Bits512 => bits512,
        SimdWidth.Bits256 => bits256,
        _ => bits128,
    };

    /// <summary>Whether <paramref name="width"/> runs as native instructions here (otherwise .NET emulates it, correctly but slowly).</summary>
    public static bool IsAccelerated(SimdWidth width) => width switch
    {
        SimdWidth.Bits512 => Vector512.IsHardwareAccelerated,
        SimdWidth.Bits256 => Vector256.IsHardwareAccelerated,
        _ => Vector128.IsHardwareAccelerated,
    };
}

/// <summary>
/// A vector of float lanes at one SIMD width. The fused kernels are written once against this interface and
/// instantiated per width (<see cref="FloatVector512"/>, <see cref="FloatVector256"/>, <see cref="FloatVector128"/>):
/// the JIT compiles each instantiation over a struct on its own, so every call inlines to that width's
/// instructions and the abstraction costs nothing (measured against hand-written Vector256 code: same time).
/// Comparisons return lane masks (all bits set where true), as the BCL's vector types do. Min and Max take the
/// value first and the bound second: x86's min/max return their second operand when either is NaN, so the
/// implementations pass the value second and a NaN input propagates (as it does on Arm).
/// </summary>
internal unsafe interface IFloatVector<TSelf> where TSelf : unmanaged, IFloatVector<TSelf>
{
    /// <summary>Lanes per vector.</summary>
    static abstract int Count { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf One { get; }

    static abstract TSelf Create(float value);

    static abstract TSelf Load(float* source);

    void Store(float* destination);

    /// <summary>The lane at <paramref name="index"/>.</summary>
    float this[int index] { get; }

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    static abstract TSelf operator /(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf value);

    /// <summary>
    /// Lane-wise minimum of <paramref name="value"/> and <paramref name="bound"/>; a NaN in <paramref name="value"/>
    /// stays NaN, so clamping never hides one. One instruction (the BCL's IEEE Min is a compare-and-blend sequence
    /// unless the JIT can see a constant operand, which a wrapper hides).
    /// </summary>
    static abstract TSelf Min(TSelf value, TSelf bound);

    /// <summary>Lane-wise maximum; as <see cref="Min"/>, a NaN in <paramref name="value"/> stays NaN.</summary>
    static abstract TSelf Max(TSelf value, TSelf bound);

    /// <summary>a·b + c, fused (one rounding) where the processor has FMA; the JIT never fuses a*b+c by itself.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    static abstract TSelf Abs(TSelf value);

    /// <summary>Natural logarithm (the BCL's vectorised log).</summary>
    static abstract TSelf Log(TSelf value);

    /// <summary>2ᵏ for integer-valued lanes k in [−126, 127], built in the exponent bits.</summary>
    static abstract TSelf PowerOfTwo(TSelf k);

    static abstract TSelf GreaterThan(TSelf left, TSelf right);

    static abstract TSelf Equal(TSelf left, TSelf right);

    /// <summary>Lanes of <paramref name="ifTrue"/> where <paramref name="mask"/> is set, else of <paramref name="ifFalse"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf ifTrue, TSelf ifFalse);

    /// <summary>The sum of the lanes.</summary>
    static abstract float Sum(TSelf value);
}

/// <summary>16 float lanes (AVX-512).</summary>
internal readonly unsafe struct FloatVector512 : IFloatVector<FloatVector512>
{
    private readonly Vector512<float> v;

    private FloatVector512(Vector512<float> v) => this.v = v;

    public static int Count => Vector512<float>.Count;

    public static FloatVector512 Zero => default;

    public static FloatVector512 One => new(Vector512<float>.One);

    public float this[int index] => v[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 Create(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 Load(float* source) => new(Vector512.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* destination) => v.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 operator +(FloatVector512 left, FloatVector512 right) => new(left.v + right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 operator -(FloatVector512 left, FloatVector512 right) => new(left.v - right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 operator *(FloatVector512 left, FloatVector512 right) => new(left.v * right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 operator /(FloatVector512 left, FloatVector512 right) => new(left.v / right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 operator -(FloatVector512 value) => new(-value.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 Min(FloatVector512 value, FloatVector512 bound) => new(Vector512.MinNative(bound.v, value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 Max(FloatVector512 value, FloatVector512 bound) => new(Vector512.MaxNative(bound.v, value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 MultiplyAdd(FloatVector512 a, FloatVector512 b, FloatVector512 c) => new(Vector512.FusedMultiplyAdd(a.v, b.v, c.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 Abs(FloatVector512 value) => new(Vector512.Abs(value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 Log(FloatVector512 value) => new(Vector512.Log(value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 PowerOfTwo(FloatVector512 k) => new(Vector512.ShiftLeft(Vector512.ConvertToInt32Native(k.v) + Vector512.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 GreaterThan(FloatVector512 left, FloatVector512 right) => new(Vector512.GreaterThan(left.v, right.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 Equal(FloatVector512 left, FloatVector512 right) => new(Vector512.Equals(left.v, right.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector512 Select(FloatVector512 mask, FloatVector512 ifTrue, FloatVector512 ifFalse) => new(Vector512.ConditionalSelect(mask.v, ifTrue.v, ifFalse.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(FloatVector512 value) => Vector512.Sum(value.v);
}

/// <summary>8 float lanes (AVX2).</summary>
internal readonly unsafe struct FloatVector256 : IFloatVector<FloatVector256>
{
    private readonly Vector256<float> v;

    private FloatVector256(Vector256<float> v) => this.v = v;

    public static int Count => Vector256<float>.Count;

    public static FloatVector256 Zero => default;

    public static FloatVector256 One => new(Vector256<float>.One);

    public float this[int index] => v[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 Create(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 Load(float* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* destination) => v.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 operator +(FloatVector256 left, FloatVector256 right) => new(left.v + right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 operator -(FloatVector256 left, FloatVector256 right) => new(left.v - right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 operator *(FloatVector256 left, FloatVector256 right) => new(left.v * right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 operator /(FloatVector256 left, FloatVector256 right) => new(left.v / right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 operator -(FloatVector256 value) => new(-value.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 Min(FloatVector256 value, FloatVector256 bound) => new(Vector256.MinNative(bound.v, value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 Max(FloatVector256 value, FloatVector256 bound) => new(Vector256.MaxNative(bound.v, value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 MultiplyAdd(FloatVector256 a, FloatVector256 b, FloatVector256 c) => Fma.IsSupported ? new(Vector256.FusedMultiplyAdd(a.v, b.v, c.v)) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 Abs(FloatVector256 value) => new(Vector256.Abs(value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 Log(FloatVector256 value) => new(Vector256.Log(value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 PowerOfTwo(FloatVector256 k) => new(Vector256.ShiftLeft(Vector256.ConvertToInt32Native(k.v) + Vector256.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 GreaterThan(FloatVector256 left, FloatVector256 right) => new(Vector256.GreaterThan(left.v, right.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 Equal(FloatVector256 left, FloatVector256 right) => new(Vector256.Equals(left.v, right.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector256 Select(FloatVector256 mask, FloatVector256 ifTrue, FloatVector256 ifFalse) => new(Vector256.ConditionalSelect(mask.v, ifTrue.v, ifFalse.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(FloatVector256 value) => Vector256.Sum(value.v);
}

/// <summary>4 float lanes (SSE, NEON).</summary>
internal readonly unsafe struct FloatVector128 : IFloatVector<FloatVector128>
{
    private readonly Vector128<float> v;

    private FloatVector128(Vector128<float> v) => this.v = v;

    public static int Count => Vector128<float>.Count;

    public static FloatVector128 Zero => default;

    public static FloatVector128 One => new(Vector128<float>.One);

    public float this[int index] => v[index];

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 Create(float value) => new(Vector128.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 Load(float* source) => new(Vector128.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(float* destination) => v.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 operator +(FloatVector128 left, FloatVector128 right) => new(left.v + right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 operator -(FloatVector128 left, FloatVector128 right) => new(left.v - right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 operator *(FloatVector128 left, FloatVector128 right) => new(left.v * right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 operator /(FloatVector128 left, FloatVector128 right) => new(left.v / right.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 operator -(FloatVector128 value) => new(-value.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 Min(FloatVector128 value, FloatVector128 bound) => new(Vector128.MinNative(bound.v, value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 Max(FloatVector128 value, FloatVector128 bound) => new(Vector128.MaxNative(bound.v, value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 MultiplyAdd(FloatVector128 a, FloatVector128 b, FloatVector128 c) => Fma.IsSupported || AdvSimd.IsSupported ? new(Vector128.FusedMultiplyAdd(a.v, b.v, c.v)) : a * b + c;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 Abs(FloatVector128 value) => new(Vector128.Abs(value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 Log(FloatVector128 value) => new(Vector128.Log(value.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 PowerOfTwo(FloatVector128 k) => new(Vector128.ShiftLeft(Vector128.ConvertToInt32Native(k.v) + Vector128.Create(127), 23).AsSingle());
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 GreaterThan(FloatVector128 left, FloatVector128 right) => new(Vector128.GreaterThan(left.v, right.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 Equal(FloatVector128 left, FloatVector128 right) => new(Vector128.Equals(left.v, right.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static FloatVector128 Select(FloatVector128 mask, FloatVector128 ifTrue, FloatVector128 ifFalse) => new(Vector128.ConditionalSelect(mask.v, ifTrue.v, ifFalse.v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(FloatVector128 value) => Vector128.Sum(value.v);
}
