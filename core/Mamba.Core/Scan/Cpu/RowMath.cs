using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Mamba.Core.Scan.Cpu;

/// <summary>
/// Element-wise work along one channel's time axis, vectorised at width <c>TV</c> with a scalar tail.
/// This is the part of a scan that has no recurrence, so it runs outside the time loop.
/// </summary>
internal static unsafe class RowMath
{
    /// <summary>State rows are padded to a multiple of the widest vector (16 floats), so one layout serves every width.</summary>
    public const int StatePadding = 16;

    private const float RoundingShift = 12582912f;      // 1.5·2²³

    /// <summary>Address of a contiguous CPU float32 tensor's first element; the tensor must outlive its use.</summary>
    public static float* Pointer(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>Pointer or null for an optional tensor.</summary>
    public static float* PointerOrNull(Tensor? t) => t is null ? null : Pointer(t);

    /// <summary>
    /// Address of a CPU float32 tensor's first element whatever its strides (a transposed or sliced view, which
    /// <see cref="Pointer"/> refuses); the tensor must outlive its use.
    /// </summary>
    public static float* ViewPointer(Tensor t)
    {
        // storage<float>() holds an alias of t, which disposing the storage does not release; the scope does.
        using var scope = NewDisposeScope();
        using var storage = t.storage<float>();
        return (float*)storage.data_ptr() + t.storage_offset();
    }

    /// <summary><see cref="ViewPointer"/> or null for an optional tensor.</summary>
    public static float* ViewPointerOrNull(Tensor? t) => t is null ? null : ViewPointer(t);

    /// <summary>
    /// eˣ to about one ulp over the float range (Cephes' expf: x = k·ln2 + r, a degree-6 polynomial in r, then 2ᵏ
    /// by exponent arithmetic). Arguments below −87.3 give 2⁻¹²⁶ instead of a subnormal: in a scan that is a decay
    /// to nothing either way. Several times faster than the BCL's vector Exp, which dominated the scan's time loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp<TV>(TV x) where TV : unmanaged, IFloatVector<TV>
    {
        x = TV.Min(TV.Max(x, TV.Create(-87.33654f)), TV.Create(88.0f));
        // Adding 1.5·2²³ rounds x·log₂e to an integer k without a rounding instruction.
        var k = TV.MultiplyAdd(x, TV.Create(1.44269504088896341f), TV.Create(RoundingShift)) - TV.Create(RoundingShift);
        var r = TV.MultiplyAdd(k, TV.Create(-0.693359375f), x);                 // x − k·ln2 in two parts (Cody–Waite)
        r = TV.MultiplyAdd(k, TV.Create(2.12194440e-4f), r);
        var p = TV.Create(1.9875691500E-4f);
        p = TV.MultiplyAdd(p, r, TV.Create(1.3981999507E-3f));
        p = TV.MultiplyAdd(p, r, TV.Create(8.3334519073E-3f));
        p = TV.MultiplyAdd(p, r, TV.Create(4.1665795894E-2f));
        p = TV.MultiplyAdd(p, r, TV.Create(1.6666665459E-1f));
        p = TV.MultiplyAdd(p, r, TV.Create(5.0000001201E-1f));
        var y = TV.MultiplyAdd(p, r * r, r) + TV.One;
        return y * TV.PowerOfTwo(k);
    }

    /// <summary>softplus(x) = log(1 + eˣ), linear above 20 as in mamba_ssm, computed as max(x, 0) + log1p(e^−|x|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Softplus<TV>(TV x) where TV : unmanaged, IFloatVector<TV>
    {
        var t = Exp(-TV.Abs(x));
        var smooth = TV.Max(x, TV.Zero) + Log1p(t);
        return TV.Select(TV.GreaterThan(x, TV.Create(20f)), x, smooth);
    }

    /// <summary>log(1 + t) for t in [0, 1], exact to rounding also for tiny t (where 1 + t rounds to 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Log1p<TV>(TV t) where TV : unmanaged, IFloatVector<TV>
    {
        var onePlus = TV.One + t;
        var rounded = onePlus - TV.One;
        // log(1+t)·t/((1+t)−1) cancels the rounding of 1+t; where that rounding lost t entirely, log1p(t) ≈ t.
        var corrected = TV.Log(onePlus) * t / rounded;
        return TV.Select(TV.Equal(rounded, TV.Zero), t, corrected);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid<TV>(TV x) where TV : unmanaged, IFloatVector<TV> => TV.One / (TV.One + Exp(-x));

    public static float Softplus(float x) => x > 20f ? x : MathF.Max(x, 0f) + Log1p(MathF.Exp(-MathF.Abs(x)));

    private static float Log1p(float t)
    {
        float onePlus = 1f + t, rounded = onePlus - 1f;
        return rounded == 0f ? t : MathF.Log(onePlus) * t / rounded;
    }

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>dt[l] = softplus(raw[l] + bias) or raw[l] + bias; when <paramref name="slope"/> is given it receives the softplus slope σ(raw + bias).</summary>
    public static void StepSizes<TV>(float* raw, float bias, bool softplus, float* dt, float* slope, long length) where TV : unmanaged, IFloatVector<TV>
    {
        long l = 0;
        var biasV = TV.Create(bias);
        for (; l + TV.Count <= length; l += TV.Count)
        {
            var x = TV.Load(raw + l) + biasV;
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
    public static float Dot<TV>(float* a, float* b, long length) where TV : unmanaged, IFloatVector<TV>
    {
        long l = 0;
        var acc = TV.Zero;
        for (; l + TV.Count <= length; l += TV.Count) acc = TV.MultiplyAdd(TV.Load(a + l), TV.Load(b + l), acc);
        float sum = TV.Sum(acc);
        for (; l < length; l++) sum += a[l] * b[l];
        return sum;
    }

    /// <summary>Σ a[l].</summary>
    public static float Sum<TV>(float* a, long length) where TV : unmanaged, IFloatVector<TV>
    {
        long l = 0;
        var acc = TV.Zero;
        for (; l + TV.Count <= length; l += TV.Count) acc += TV.Load(a + l);
        float sum = TV.Sum(acc);
        for (; l < length; l++) sum += a[l];
        return sum;
    }

    /// <summary>y[l] += d·u[l]; then, with a gate, pre[l] = y[l] (when <paramref name="pre"/> is given) and y[l] ·= silu(z[l]).</summary>
    public static void SkipAndGate<TV>(float* y, float* u, float d, float* z, float* pre, long length) where TV : unmanaged, IFloatVector<TV>
    {
        long l = 0;
        var dV = TV.Create(d);
        for (; l + TV.Count <= length; l += TV.Count)
        {
            var v = TV.MultiplyAdd(dV, TV.Load(u + l), TV.Load(y + l));
            if (z != null)
            {
                if (pre != null) v.Store(pre + l);
                var zv = TV.Load(z + l);
                v *= zv * Sigmoid(zv);
            }
            v.Store(y + l);
        }
        for (; l < length; l++)
        {
            float v = y[l] + d * u[l];
            if (z != null)
            {
                if (pre != null) pre[l] = v;
                v *= z[l] * Sigmoid(z[l]);
            }
            y[l] = v;
        }
    }

    /// <summary>
    /// Splits the gradient of out = pre·silu(z): dy[l] = dout[l]·silu(z[l]) and dz[l] = dout[l]·pre[l]·silu′(z[l]),
    /// with silu′(z) = σ(z)(1 + z(1 − σ(z))). Without a gate, dy = dout.
    /// </summary>
    public static void UngateGradient<TV>(float* dout, float* z, float* pre, float* dy, float* dz, long length) where TV : unmanaged, IFloatVector<TV>
    {
        if (z == null)
        {
            Copy(dout, dy, length);
            return;
        }
        long l = 0;
        for (; l + TV.Count <= length; l += TV.Count)
        {
            var g = TV.Load(dout + l);
            var zv = TV.Load(z + l);
            var s = Sigmoid(zv);
            (g * zv * s).Store(dy + l);
            (g * TV.Load(pre + l) * s * (TV.One + zv * (TV.One - s))).Store(dz + l);
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
    public static void MultiplyInPlace<TV>(float* a, float* b, long length) where TV : unmanaged, IFloatVector<TV>
    {
        long l = 0;
        for (; l + TV.Count <= length; l += TV.Count) (TV.Load(a + l) * TV.Load(b + l)).Store(a + l);
        for (; l < length; l++) a[l] *= b[l];
    }

    /// <summary>a[l] += b[l].</summary>
    public static void AddInPlace<TV>(float* a, float* b, long length) where TV : unmanaged, IFloatVector<TV>
    {
        long l = 0;
        for (; l + TV.Count <= length; l += TV.Count) (TV.Load(a + l) + TV.Load(b + l)).Store(a + l);
        for (; l < length; l++) a[l] += b[l];
    }
}
