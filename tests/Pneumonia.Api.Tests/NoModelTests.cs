using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Api.Endpoints;
using Pneumonia.Api.Hosting;
using Pneumonia.Api.Monitoring;

namespace Pneumonia.Api.Tests;

/// <summary>
/// "No model loaded" is one condition (<see cref="NoModelLoadedException"/>), answered 503 with code NoModel; any
/// other failure of a prediction is not dressed up as it.
/// </summary>
public sealed class NoModelTests(NoModelApiFactory factory) : IClassFixture<NoModelApiFactory>
{
    [Fact]
    public async Task Predict_without_a_model_is_a_503_no_model_through_the_real_grain()
    {
        using var form = TestFiles.Form("file", [("x.jpeg", TestFiles.Image("test", "NORMAL", 0))]);
        using var response = await factory.CreateClient().PostAsync("/predict", form);
        var problem = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("NoModel", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_disposed_predictor_is_a_failure_not_a_503_no_model()
    {
        var bytes = TestFiles.Image("test", "NORMAL", 0);
        using var stream = new MemoryStream(bytes);
        var file = new FormFile(stream, 0, bytes.Length, "file", "x.jpeg");
        var grains = FailingPredictions.Create(new ObjectDisposedException("InferenceBatcher"));

        await Assert.ThrowsAsync<ObjectDisposedException>(() => PredictionApi.PredictAsync(
            file, grains, factory.Services.GetRequiredService<IOptions<PneumoniaApiOptions>>(), factory.Services.GetRequiredService<ApiMetrics>(),
            CancellationToken.None));
    }

    /// <summary>A grain factory whose every prediction grain fails with one exception (a DispatchProxy: no other call is expected).</summary>
    public class FailingPredictions : DispatchProxy
    {
        private Exception _failure = null!;

        public static IGrainFactory Create(Exception failure)
        {
            var grains = DispatchProxy.Create<IGrainFactory, FailingPredictions>();
            ((FailingPredictions)(object)grains)._failure = failure;
            return grains;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name == nameof(IGrainFactory.GetGrain) && targetMethod.ReturnType == typeof(IPredictionGrain))
            {
                var grain = DispatchProxy.Create<IPredictionGrain, FailingGrain>();
                ((FailingGrain)(object)grain).Failure = _failure;
                return grain;
            }

            throw new NotSupportedException(targetMethod?.Name);
        }
    }

    public class FailingGrain : DispatchProxy
    {
        public Exception Failure { get; set; } = null!;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == nameof(IPredictionGrain.PredictAsync)
                ? Task.FromException<PredictionOutcome>(Failure)
                : throw new NotSupportedException(targetMethod?.Name);
    }
}

/// <summary>The real API with no model at all: the bundled model directory is empty.</summary>
public sealed class NoModelApiFactory : ApiFactory
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Pneumonia:Data:BundledModelDirectory"] = Path.Combine(TempPath, "no-model"),
    };

    public override async Task InitializeAsync()
    {
        using var client = CreateClient();
        await Wait.UntilAsync(async () =>
        {
            using var response = await client.GetAsync("/health/live");
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(60), "the API to be live");
    }
}
