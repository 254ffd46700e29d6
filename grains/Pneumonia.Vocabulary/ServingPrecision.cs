namespace Pneumonia;

/// <summary>
/// The number format a model is served in (<c>Pneumonia:Prediction:Precision</c> and <c>Bf16FromStage</c>), and so
/// the one a training run evaluates its new model in: the card's metrics are those of the answers users will get.
/// </summary>
/// <param name="Bf16FromStage">With <see cref="InferencePrecision.Bf16"/>: the first backbone stage computed in bfloat16 (0 = all of it).</param>
public sealed record ServingPrecision(InferencePrecision Precision, int Bf16FromStage)
{
    /// <summary>
    /// What serving uses unless configured otherwise: all-bf16, batch norms folded. On the bundled model's test split
    /// it gives float32's labels on all 624 files at about 1.3x the rate of bf16 from stage 2 (docs/BENCHMARKS.md).
    /// </summary>
    public static ServingPrecision Default { get; } = new(InferencePrecision.Bf16, 0);

    /// <summary>Float32 throughout, as trained.</summary>
    public static ServingPrecision Fp32 { get; } = new(InferencePrecision.Fp32, 0);

    public override string ToString() => Precision == InferencePrecision.Fp32 ? "fp32"
        : Bf16FromStage == 0 ? "bf16" : $"bf16 from stage {Bf16FromStage}";
}
