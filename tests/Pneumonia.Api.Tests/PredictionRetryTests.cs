using Microsoft.Extensions.DependencyInjection;
using Pneumonia.Abstractions;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Pneumonia.Api.Endpoints;
using Pneumonia.Api.Monitoring;

namespace Pneumonia.Api.Tests;

/// <summary>
/// The front end's prediction retry (<see cref="PredictionCalls.CallAsync{T}"/>) against the real co-hosted silo:
/// attempts that hang (a dead gateway), whose silo failed or had no model loaded yet are retried on another grain
/// after a short pause; answers are never retried.
/// The drill in load/cluster-failover.sh shows the same with a killed predictor process.
/// </summary>
public sealed class PredictionRetryTests(ApiFactory factory) : IClassFixture<ApiFactory>, IDisposable
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromMilliseconds(300);

    // A broken retry would wait forever on the hanging attempt: this turns that into a failure.
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(30));

    private IGrainFactory Grains => factory.Services.GetRequiredService<IGrainFactory>();

    private ApiMetrics Metrics => factory.Services.GetRequiredService<ApiMetrics>();

    private static NamedImage Xray => new("x.jpeg", TestFiles.Image("test", "PNEUMONIA", 0));

    [Fact]
    public async Task An_attempt_that_never_answers_is_retried_and_the_real_grain_answers()
    {
        using var retries = new MetricCollector<long>(factory.Services.GetRequiredService<IMeterFactory>(), ApiMetrics.MeterName, "pneumonia.prediction.retries");
        var attempts = 0;
        var outcome = await PredictionCalls.CallAsync(Grains, grain =>
            ++attempts == 1 ? new TaskCompletionSource<PredictionOutcome>().Task : grain.PredictAsync(Xray, false),
            AttemptTimeout, Metrics, _deadline.Token);

        Assert.Equal(2, attempts);
        Assert.Equal(nameof(TimeoutException), Assert.Single(retries.GetMeasurementSnapshot()).Tags["failure"]);
        Assert.Null(outcome.Error);
        Assert.Equal(factory.BundledModelVersion, outcome.Result!.ModelVersion);
    }

    [Fact]
    public async Task A_failed_silo_is_retried_after_a_pause_and_counted()
    {
        using var retries = new MetricCollector<long>(factory.Services.GetRequiredService<IMeterFactory>(), ApiMetrics.MeterName, "pneumonia.prediction.retries");
        var attempts = 0;
        var outcome = await PredictionCalls.CallAsync(Grains, grain =>
            ++attempts == 1 ? Task.FromException<PredictionOutcome>(new SiloUnavailableException("predictor gone")) : grain.PredictAsync(Xray, false),
            TimeSpan.FromSeconds(30), Metrics, _deadline.Token);

        Assert.Equal(2, attempts);
        Assert.NotNull(outcome.Result);
        Assert.Equal(nameof(SiloUnavailableException), Assert.Single(retries.GetMeasurementSnapshot()).Tags["failure"]);
    }

    [Fact]
    public async Task An_answer_is_not_retried_even_when_it_is_an_error()
    {
        var attempts = 0;
        var rejected = new PredictionOutcome("x.jpeg", null, "InvalidImage", "not an image");
        var outcome = await PredictionCalls.CallAsync(Grains, _ =>
        {
            attempts++;
            return Task.FromResult(rejected);
        }, AttemptTimeout, Metrics, _deadline.Token);

        Assert.Equal(1, attempts);
        Assert.Same(rejected, outcome);
    }

    [Fact]
    public async Task No_model_on_a_silo_is_retried_elsewhere_and_reported_when_no_silo_has_one()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<NoModelLoadedException>(() => PredictionCalls.CallAsync<PredictionOutcome>(Grains, _ =>
        {
            attempts++;
            return Task.FromException<PredictionOutcome>(new NoModelLoadedException("no production model"));
        }, AttemptTimeout, Metrics, _deadline.Token));

        Assert.Equal(4, attempts);
    }

    [Fact]
    public async Task A_disposal_error_is_neither_retried_nor_taken_for_no_model()
    {
        // ObjectDisposedException is an InvalidOperationException: it once passed for "no model loaded".
        var attempts = 0;
        await Assert.ThrowsAsync<ObjectDisposedException>(() => PredictionCalls.CallAsync<PredictionOutcome>(Grains, _ =>
        {
            attempts++;
            return Task.FromException<PredictionOutcome>(new ObjectDisposedException("InferenceBatcher"));
        }, AttemptTimeout, Metrics, _deadline.Token));

        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task The_last_attempt_is_not_cut_short()
    {
        var attempts = 0;
        var outcome = await PredictionCalls.CallAsync(Grains, grain => ++attempts switch
        {
            < 4 => new TaskCompletionSource<PredictionOutcome>().Task,
            // Slower than an attempt may take: only the last attempt waits for it.
            _ => DelayedAsync(grain, AttemptTimeout * 3),
        }, AttemptTimeout, Metrics, _deadline.Token);

        Assert.Equal(4, attempts);
        Assert.NotNull(outcome.Result);
    }

    public void Dispose() => _deadline.Dispose();

    private static async Task<PredictionOutcome> DelayedAsync(IPredictionGrain grain, TimeSpan delay)
    {
        await Task.Delay(delay);
        return await grain.PredictAsync(Xray, false);
    }
}
