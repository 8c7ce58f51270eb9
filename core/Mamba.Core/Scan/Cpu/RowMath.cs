using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Element-wise work along one channel's time axis, vectorised 16 floats at a time with a scalar tail.
/// This is the part of a scan that has no recurrence, so it runs outside the time loop.
/// </summary>
internal static unsafe class RowMath
{
    public const int Lanes = 16;

    private const float RoundingShift = 12582912f;      // 1.5·2²³
    private const int RoundingShiftBits = 0x4B400000;   // its bit pattern: adding k to the float adds k to these bits

    /// <summary>Address of a contiguous CPU float32 tensor's first element; the tensor must outlive its use.</summary>
    public static float* Pointer(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>Pointer or null for an optional tensor.</summary>
    public static float* PointerOrNull(Tensor? t) => t is null ? null : Pointer(t);

    /// <summary>
    /// eˣ to about one ulp over the float range (Cephes' expf: x = k·ln2 + r, a degree-6 polynomial in r, then 2ᵏ
    /// by exponent arithmetic). Arguments below −87.3 give 2⁻¹²⁶ instead of a subnormal: in a scan that is a decay
    /// to nothing either way. Several times faster than Vector512.Exp, which dominated the scan's time loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-87.33654f)), Vector512.Create(88.0f));
        // Adding 1.5·2²³ rounds x·log₂e to an integer k held in the low mantissa bits, without a rounding instruction.
        var shifted = x * Vector512.Create(1.44269504088896341f) + Vector512.Create(RoundingShift);
        var k = shifted - Vector512.Create(RoundingShift);
        var r = x - k * Vector512.Create(0.693359375f) - k * Vector512.Create(-2.12194440e-4f);
        var p = Vector512.Create(1.9875691500E-4f);
        p = p * r + Vector512.Create(1.3981999507E-3f);
        p = p * r + Vector512.Create(8.3334519073E-3f);
        p = p * r + Vector512.Create(4.1665795894E-2f);
        p = p * r + Vector512.Create(1.6666665459E-1f);
        p = p * r + Vector512.Create(5.0000001201E-1f);
        var y = p * (r * r) + r + Vector512<float>.One;
        var exponent = shifted.AsInt32() - Vector512.Create(RoundingShiftBits - 127);
        var scale = Vector512.ShiftLeft(exponent, 23).AsSingle();
        return y * scale;
    }

    /// <summary>softplus(x) = log(1 + eˣ), linear above 20 as in mamba_ssm, computed as max(x, 0) + log1p(e^−|x|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Softplus(Vector512<float> x)
    {
        var t = Exp(-Vector512.Abs(x));
        var smooth = Vector512.Max(x, Vector512<float>.Zero) + Log1p(t);
        return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(20f)), x, smooth);
    }

    /// <summary>log(1 + t) for t in [0, 1], exact to rounding also for tiny t (where 1 + t rounds to 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Log1p(Vector512<float> t)
    {
        var onePlus = Vector512<float>.One + t;
        var rounded = onePlus - Vector512<float>.One;
        // log(1+t)·t/((1+t)−1) cancels the rounding of 1+t; where that rounding lost t entirely, log1p(t) ≈ t.
        var corrected = Vector512.Log(onePlus) * t / rounded;
        return Vector512.ConditionalSelect(Vector512.Equals(rounded, Vector512<float>.Zero), t, corrected);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    public static float Softplus(float x) => x > 20f ? x : MathF.Max(x, 0f) + Log1p(MathF.Exp(-MathF.Abs(x)));

    private static float Log1p(float t)
    {
        float onePlus = 1f + t, rounded = onePlus - 1f;
        return rounded == 0f ? t : MathF.Log(onePlus) * t / rounded;
    }

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>dt[l] = softplus(raw[l] + bias) or raw[l] + bias; when <paramref name="slope"/> is given it receives the softplus slope σ(raw + bias).</summary>
    public static void StepSizes(float* raw, float bias, bool softplus, float* dt, float* slope, long length)
    {
        long l = 0;
        var biasV = Vector512.Create(bias);
        for (; l + Lanes <= length; l += Lanes)
        {
            var x = Vector512.Load(raw + l) + biasV;
            (softplus ? Softplus(x) : x).Store(dt + l);
            if (slope != null) Sigmoid(x).Store(slope + l);
        }
        for (; l < length; l++)
        {
            float x = raw[l] + bias;
            dt[l] = softplus ? Softplus(x) : x;
            if (slope != null) slope[l] = Sigmoid(x);
        }
    }

    /// <summary>Σ a[l]·b[l].</summary>
    public static float Dot(float* a, float* b, long length)
    {
        long l = 0;
        var acc = Vector512<float>.Zero;
        for (; l + Lanes <= length; l += Lanes) acc += Vector512.Load(a + l) * Vector512.Load(b + l);
        float sum = Vector512.Sum(acc);
        for (; l < length; l++) sum += a[l] * b[l];
        return sum;
    }

    /// <summary>Σ a[l].</summary>
    public static float Sum(float* a, long length)
    {
        long l = 0;
        var acc = Vector512<float>.Zero;
        for (; l + Lanes <= length; l += Lanes) acc += Vector512.Load(a + l);
        float sum = Vector512.Sum(acc);
        for (; l < length; l++) sum += a[l];
        return sum;
    }

    /// <summary>y[l] += d·u[l]; then, with a gate, pre[l] = y[l] and y[l] ·= silu(z[l]).</summary>
    public static void SkipAndGate(float* y, float* u, float d, float* z, float* pre, long length)
    {
        long l = 0;
        var dV = Vector512.Create(d);
        for (; l + Lanes <= length; l += Lanes)
        {
            var v = Vector512.Load(y + l) + dV * Vector512.Load(u + l);
            if (z != null)
            {
                v.Store(pre + l);
                var zv = Vector512.Load(z + l);
                v *= zv * Sigmoid(zv);
            }
            v.Store(y + l);
        }
        for (; l < length; l++)
        {
            float v = y[l] + d * u[l];
            if (z != null)
            {
                pre[l] = v;
                v *= z[l] * Sigmoid(z[l]);
            }
            y[l] = v;
        }
    }

    /// <summary>
    /// Splits the gradient of out = pre·silu(z): dy[l] = dout[l]·silu(z[l]) and dz[l] = dout[l]·pre[l]·silu′(z[l]),
    /// with silu′(z) = σ(z)(1 + z(1 − σ(z))). Without a gate, dy = dout.
    /// </summary>
    public static void UngateGradient(float* dout, float* z, float* pre, float* dy, float* dz, long length)
    {
        if (z == null)
        {
            Copy(dout, dy, length);
            return;
        }
        long l = 0;
        for (; l + Lanes <= length; l += Lanes)
        {
            var g = Vector512.Load(dout + l);
            var zv = Vector512.Load(z + l);
            var s = Sigmoid(zv);
            (g * zv * s).Store(dy + l);
            (g * Vector512.Load(pre + l) * s * (Vector512<float>.One + zv * (Vector512<float>.One - s))).Store(dz + l);
        }
        for (; l < length; l++)
        {
            float s = Sigmoid(z[l]);
            dy[l] = dout[l] * z[l] * s;
            dz[l] = dout[l] * pre[l] * s * (1f + z[l] * (1f - s));
        }
    }

    /// <summary>Copies <paramref name="count"/> floats.</summary>
    public static void Copy(float* from, float* to, long count) =>
        Buffer.MemoryCopy(from, to, count * sizeof(float), count * sizeof(float));

    /// <summary>a[l] ·= b[l].</summary>
    public static void MultiplyInPlace(float* a, float* b, long length)
    {
        long l = 0;
        for (; l + Lanes <= length; l += Lanes) (Vector512.Load(a + l) * Vector512.Load(b + l)).Store(a + l);
        for (; l < length; l++) a[l] *= b[l];
    }

    /// <summary>a[l] += b[l].</summary>
    public static void AddInPlace(float* a, float* b, long length)
    {
        long l = 0;
        for (; l + Lanes <= length; l += Lanes) (Vector512.Load(a + l) + Vector512.Load(b + l)).Store(a + l);
        for (; l < length; l++) a[l] += b[l];
    }
}
