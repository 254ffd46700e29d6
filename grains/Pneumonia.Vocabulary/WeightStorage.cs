namespace Pneumonia;

/// <summary>The number format a model's weights file holds; the network always computes from float32 copies of them.</summary>
public enum WeightStorage
{
    /// <summary>32-bit float, as trained: 4 bytes a parameter.</summary>
    Fp32,

    /// <summary>
    /// bfloat16, 2 bytes a parameter: half the file, for a network that would not fit the repository's 25 MB in
    /// float32 (6.2 M parameters or more; the package's whole 4-stage ResNet-18, 15.9 M, needs 32 MB even so). Training rounds the network to bfloat16 before it calibrates and evaluates it, so the card's figures are those
    /// of the stored weights (serving quantizes them further to int8, or computes in bfloat16, anyway).
    /// </summary>
    Bf16,
}
