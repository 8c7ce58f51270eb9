namespace Mamba.Ecg.Synthetic;

/// <summary>The labelled conditions the synthetic generator draws, each with its SNOMED CT code (all scored in 2021).</summary>
public static class EcgCondition
{
    /// <summary>Sinus rhythm, 60–100 bpm.</summary>
    public const string SinusRhythm = "426783006";

    /// <summary>Sinus bradycardia, below 60 bpm.</summary>
    public const string SinusBradycardia = "426177001";

    /// <summary>Sinus tachycardia, above 100 bpm.</summary>
    public const string SinusTachycardia = "427084000";

    /// <summary>Atrial fibrillation: irregular RR, no P wave, fibrillatory baseline.</summary>
    public const string AtrialFibrillation = "164889003";

    /// <summary>First-degree AV block: PR interval above 200 ms.</summary>
    public const string FirstDegreeAvBlock = "270492004";

    /// <summary>Left bundle branch block: wide QRS, broad R in I/aVL/V5–V6, deep S in V1.</summary>
    public const string LeftBundleBranchBlock = "164909002";

    /// <summary>Right bundle branch block: wide QRS with a late R′ in V1 and a broad S in I and V6.</summary>
    public const string RightBundleBranchBlock = "59118001";

    /// <summary>Premature ventricular contractions: early wide beats without a P wave.</summary>
    public const string PrematureVentricularContraction = "427172004";

    /// <summary>Low QRS voltage: QRS amplitude below 0.5 mV in the limb leads.</summary>
    public const string LowQrsVoltage = "251146004";

    /// <summary>Every condition, in a fixed order (the model's output classes).</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        SinusRhythm, SinusBradycardia, SinusTachycardia, AtrialFibrillation, FirstDegreeAvBlock,
        LeftBundleBranchBlock, RightBundleBranchBlock, PrematureVentricularContraction, LowQrsVoltage,
    ];

    /// <summary>Short names for tables and plots.</summary>
    public static string Abbreviation(string code) => code switch
    {
        SinusRhythm => "NSR",
        SinusBradycardia => "SB",
        SinusTachycardia => "STach",
        AtrialFibrillation => "AF",
        FirstDegreeAvBlock => "IAVB",
        LeftBundleBranchBlock => "LBBB",
        RightBundleBranchBlock => "RBBB",
        PrematureVentricularContraction => "PVC",
        LowQrsVoltage => "LQRSV",
        _ => code,
    };
}
