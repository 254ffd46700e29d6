using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Pneumonia.Grains.Placement;
using Pneumonia.Grains.Prediction;

namespace Pneumonia.Grains.Telemetry;

/// <summary>
/// The silo-side instruments of meter <see cref="MeterName"/> (exported by every process at
/// <c>/metrics/prometheus</c>; names there in docs/monitoring/README.md): how inference batches and how long decoding
/// and forward passes take, what waits for the inference threads, and the promotion gate's decisions.
/// </summary>
public sealed class GrainMetrics
{
    /// <summary>The meter's name; the hosts subscribe to <c>Pneumonia.*</c>.</summary>
    public const string MeterName = "Pneumonia.Grains";

    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _inferenceSeconds;
    private readonly Histogram<double> _decodeSeconds;
    private readonly UpDownCounter<int> _queued;
    private readonly Counter<long> _gateDecisions;

    public GrainMetrics(IMeterFactory meters, IProductionModelStatus model, IOptions<SiloRoleOptions> roles)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(roles);
        var meter = meters.Create(MeterName);
        // Only predictor silos load a model, so only they report whether they have (a trainer's 0 would alarm).
        if (SiloRoles.Parse(roles.Value.Roles).Contains(SiloRoles.Predictor))
        {
            meter.CreateObservableGauge("pneumonia.model.loaded", () => model.IsReady ? 1 : 0,
                description: "1 when this predictor silo has loaded the production model, else 0.");
        }

        _batchSize = meter.CreateHistogram<int>("pneumonia.inference.batch_size", "{image}", "Images per forward pass of the inference threads.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });
        _inferenceSeconds = meter.CreateHistogram<double>("pneumonia.inference.duration", "s", "Time of one forward pass (a whole batch).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ExponentialBuckets(0.001, 2, 14) });
        _decodeSeconds = meter.CreateHistogram<double>("pneumonia.decode.duration", "s", "Time to decode and preprocess one image for the model.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ExponentialBuckets(0.0001, 2, 14) });
        _queued = meter.CreateUpDownCounter<int>("pneumonia.inference.queue_length", "{image}", "Images waiting for an inference thread.");
        _gateDecisions = meter.CreateCounter<long>("pneumonia.promotion.decisions", "{decision}",
            "Promotion gate decisions, by decision (promoted, refused, forced, rollback).");
    }

    internal void Queued(int delta) => _queued.Add(delta);

    internal void ForwardPass(int images, TimeSpan elapsed)
    {
        _batchSize.Record(images);
        _inferenceSeconds.Record(elapsed.TotalSeconds);
    }

    internal void Decoded(TimeSpan elapsed) => _decodeSeconds.Record(elapsed.TotalSeconds);

    internal void GateDecision(string decision) => _gateDecisions.Add(1, new KeyValuePair<string, object?>("decision", decision));

    /// <summary><paramref name="count"/> bucket bounds from <paramref name="start"/>, each <paramref name="factor"/> times the last.</summary>
    public static double[] ExponentialBuckets(double start, double factor, int count) =>
        [.. Enumerable.Range(0, count).Select(i => start * Math.Pow(factor, i))];
}
