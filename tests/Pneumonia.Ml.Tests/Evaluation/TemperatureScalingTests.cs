using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class TemperatureScalingTests
{
    [Fact]
    public void Recovers_the_temperature_of_over_confident_logits()
    {
        // True logit z ~ N(0, 2²), label ~ Bernoulli(sigmoid(z)); the "model" reports 3z, so T = 3 undoes it.
        var random = new Random(42);
        const int n = 20_000;
        var logits = new double[n];
        var labels = new bool[n];
        for (var i = 0; i < n; i++)
        {
            // Box-Muller; 1 - NextDouble() avoids log(0).
            var z = 2 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            labels[i] = random.NextDouble() < TemperatureScaling.Apply(z, 1);
            logits[i] = 3 * z;
        }

        var temperature = TemperatureScaling.Fit(logits, labels);

        Assert.InRange(temperature, 2.85, 3.15);
    }

    [Fact]
    public void Fit_is_deterministic_and_ends_at_the_bound_for_separable_data()
    {
        double[] logits = [-2, -1, 1, 2];
        bool[] labels = [false, false, true, true];

        var first = TemperatureScaling.Fit(logits, labels);

        Assert.Equal(first, TemperatureScaling.Fit(logits, labels));
        // Separable data reward ever sharper probabilities, so T runs to its lower bound.
        Assert.Equal(TemperatureScaling.MinTemperature, first, 4);
    }

    [Fact]
    public void Apply_divides_the_logit_before_the_sigmoid()
    {
        Assert.Equal(0.5, TemperatureScaling.Apply(0, 2));
        Assert.Equal(1 / (1 + Math.Exp(-1)), TemperatureScaling.Apply(3, 3), 12);
        Assert.Equal(1.0, TemperatureScaling.Apply(1e6, 1));
        Assert.Equal(0.0, TemperatureScaling.Apply(-1e6, 1));
    }

    [Fact]
    public void Invalid_inputs_throw_naming_the_problem()
    {
        Assert.Contains("same length", Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit([1.0], [true, false])).Message, StringComparison.Ordinal);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit([], [])).Message, StringComparison.Ordinal);
        Assert.Contains("logits[0]", Assert.Throws<ArgumentException>(() => TemperatureScaling.Fit([double.NaN], [true])).Message, StringComparison.Ordinal);
        Assert.Equal("temperature", Assert.Throws<ArgumentException>(() => TemperatureScaling.Apply(1, 0)).ParamName);
    }
}
