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
}
