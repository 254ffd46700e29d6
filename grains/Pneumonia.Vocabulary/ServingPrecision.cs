namespace Pneumonia;

/// <summary>
/// The number format a model is served in (<c>Pneumonia:Prediction:Precision</c> and <c>Bf16FromStage</c>), and so
/// the one a training run evaluates its new model in: the card's metrics are those of the answers users will get.
/// </summary>
/// <param name="Bf16FromStage">With <see cref="InferencePrecision.Bf16"/>: the first backbone stage computed in bfloat16 (0 = all of it).</param>
public sealed record ServingPrecision(InferencePrecision Precision, int Bf16FromStage)
{
    /// <summary>
    /// What serving uses unless configured otherwise: int8 through ONNX Runtime (all-bf16 for a model without activation
    /// ranges). On the bundled model it runs a forward pass at 2.3x the bf16 rate at batch 1 and 1.6x at batch 32, and
    /// gives float32's label on 623 of the 624 test files (all-bf16: 622) (docs/BENCHMARKS.md, inference-floor).
    /// </summary>
    public static ServingPrecision Default { get; } = new(InferencePrecision.Int8, 0);

    /// <summary>Float32 throughout, as trained.</summary>
    public static ServingPrecision Fp32 { get; } = new(InferencePrecision.Fp32, 0);

    /// <summary>
    /// Int8 through ONNX Runtime where the model allows it (its card has <see cref="ModelCard.Quantization"/> and its
    /// architecture an int8 graph); all-bf16 where it does not.
    /// </summary>
#pragma warning disable CA1720 // The number format's name, as Fp32 is; not the .NET type.
    public static ServingPrecision Int8 { get; } = new(InferencePrecision.Int8, 0);
#pragma warning restore CA1720

    public override string ToString() => Precision switch
    {
        InferencePrecision.Fp32 => "fp32",
        InferencePrecision.Int8 => "int8",
        _ => Bf16FromStage == 0 ? "bf16" : $"bf16 from stage {Bf16FromStage}",
    };
}
