namespace Pneumonia.Testing;

/// <summary>
/// The promotion gate and the retrain data checks sized for the handful of images a test uploads. The production
/// defaults (100 gate images and 100 training images of each class, tolerances of 0.005-0.02) would make every test
/// retrain "not enough data" or "not enough evidence".
/// </summary>
public static class TestGateSettings
{
    /// <summary>
    /// Half of the patients go to the gate set, two gate images of each class are evidence enough, every tolerance is
    /// wide (a tiny model trained for one epoch moves a lot) and one trainable image of each class is enough: a
    /// retrain's model passes unless something is really wrong.
    /// </summary>
    public static IReadOnlyDictionary<string, string?> Lenient { get; } = new Dictionary<string, string?>
    {
        ["Pneumonia:Promotion:GateFraction"] = "0.5",
        ["Pneumonia:Promotion:MinimumGateImagesPerClass"] = "2",
        ["Pneumonia:Promotion:MaxAucDrop"] = "1",
        ["Pneumonia:Promotion:MaxSensitivityDrop"] = "1",
        ["Pneumonia:Promotion:MaxSpecificityDrop"] = "1",
        ["Pneumonia:Promotion:MaxBrierIncrease"] = "1",
        ["Pneumonia:Promotion:MaxEceIncrease"] = "1",
        ["Pneumonia:Promotion:SignificanceLevel"] = "0.000000001",
        ["Pneumonia:Retrain:MinimumTrainingImagesPerClass"] = "1",
    };

    /// <summary>As <see cref="Lenient"/>, but the gate wants more gate images than any test has: every unforced promotion is refused.</summary>
    public static IReadOnlyDictionary<string, string?> Refusing { get; } = new Dictionary<string, string?>(Lenient)
    {
        ["Pneumonia:Promotion:MinimumGateImagesPerClass"] = "100000",
    };

    /// <summary>Copies <paramref name="gate"/> into <paramref name="settings"/>.</summary>
    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?> gate)
    {
        foreach (var (key, value) in gate)
        {
            settings[key] = value;
        }

        return settings;
    }
}
