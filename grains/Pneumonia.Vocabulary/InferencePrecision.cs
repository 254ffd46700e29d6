namespace Pneumonia;

/// <summary>The number format a served network runs its forward pass in (the ML core's <c>PneumoniaPredictor</c>).</summary>
public enum InferencePrecision
{
    /// <summary>32-bit float, as trained.</summary>
    Fp32,

    /// <summary>
    /// bfloat16 weights and activations: about 1.7x faster on CPUs with AVX-512 BF16; logits move slightly (see
    /// docs/BENCHMARKS.md for the measured agreement with float32 on the test set).
    /// </summary>
    Bf16,

    /// <summary>
    /// 8-bit integer weights (per output channel) and activations (per tensor, ranges calibrated on validation images
    /// and stored in the card) through ONNX Runtime's VNNI kernels: 2.3x the bf16 rate here at batch 1, 1.6x at batch
    /// 32; logits move more than in bf16 (see docs/BENCHMARKS.md for the measured agreement with float32 on the test set).
    /// </summary>
#pragma warning disable CA1720 // The number format's name, as Bf16 and Fp32 are; not the .NET type.
    Int8,
#pragma warning restore CA1720
}
