namespace Pneumonia;

/// <summary>
/// How a model is served in int8 (<see cref="InferencePrecision.Int8"/>): the range of values each quantisation point
/// of its feature graph took on calibration images, from which each point's 8-bit scale and zero point follow. Weights
/// need nothing stored: they are quantised per output channel from the saved float weights when the model loads.
/// </summary>
/// <param name="Method">How the ranges were measured, e.g. <see cref="MinMax"/>.</param>
/// <param name="CalibrationImages">How many images the ranges were measured on, and which, e.g. "500 validation images, evenly spaced".</param>
/// <param name="Ranges">One range per quantisation point, in the graph's order, named as the graph names them (e.g. "layer2.0.conv1").</param>
public sealed record Int8Quantization(string Method, string CalibrationImages, IReadOnlyList<ActivationRange> Ranges)
{
    /// <summary>The smallest and largest value seen at each point (ONNX Runtime's default calibration).</summary>
    public const string MinMax = "min-max";
}

/// <summary>The smallest and largest value one quantisation point took on the calibration images.</summary>
public sealed record ActivationRange(string Point, float Min, float Max);
