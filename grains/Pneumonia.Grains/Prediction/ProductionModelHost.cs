using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Models;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Grains.Prediction;

/// <summary>Whether this silo can serve predictions (for a health endpoint).</summary>
public interface IProductionModelStatus
{
    /// <summary>A model is loaded and answers predictions.</summary>
    bool IsReady { get; }

    /// <summary>The loaded version, or null.</summary>
    string? Version { get; }

    /// <summary>
    /// The number format the loaded model computes in ("int8", "bf16", "fp32", as <see cref="ServingPrecision"/> names
    /// them), or null: int8 asked for a model without activation ranges says "bf16" here.
    /// </summary>
    string? Precision { get; }

    /// <summary>Why the last load failed, or null after a successful one.</summary>
    string? LastError { get; }
}

/// <summary>
/// The production model of this silo: loaded once, shared by every prediction activation, switched atomically when
/// the registry names another version. A prediction leases the model; the replaced model is disposed only when its
/// last lease ends, so a switch never fails or slows a request in flight.
/// </summary>
public sealed class ProductionModelHost : IProductionModelStatus, IDisposable
{
    private readonly IModelStore _store;
    private readonly XrayImageDecoder _decoder;
    private readonly ILogger<ProductionModelHost> _logger;
    private readonly ServingPrecision _precision;
    private readonly int _inferenceThreads;
    private readonly SemaphoreSlim _loading = new(1, 1);
    private LoadedModel? _current;
    private string? _lastError;

    public ProductionModelHost(IModelStore store, XrayImageDecoder decoder, IOptions<PredictionOptions> options, ILogger<ProductionModelHost> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _decoder = decoder;
        _precision = options.Value.Serving;
        _inferenceThreads = options.Value.InferenceThreads;
        _logger = logger;
    }

    public bool IsReady => Volatile.Read(ref _current) is not null;

    public string? Version => Volatile.Read(ref _current)?.Predictor.Card.Version;

    public string? LastError => Volatile.Read(ref _lastError);

    public string? Precision => Volatile.Read(ref _current)?.Predictor.Serving.ToString();

    /// <summary>Leases the current model; dispose the lease when the prediction is done.</summary>
    /// <exception cref="NoModelLoadedException">No model is loaded (none registered yet, or loading failed).</exception>
    public ModelLease Acquire()
    {
        while (true)
        {
            var model = Volatile.Read(ref _current)
                ?? throw new NoModelLoadedException($"No production model is loaded in this silo{(LastError is { } error ? $": {error}" : ".")}");
            if (model.TryAddLease())
            {
                return new ModelLease(model);
            }

            // The model was retired between reading it and leasing it: the new one is in _current already.
        }
    }

    /// <summary>
    /// Loads a private copy of the current production model from disk, as the original service did for every
    /// request (<see cref="PredictionOptions.LoadModelPerRequest"/>); the caller disposes it.
    /// </summary>
    public PneumoniaPredictor LoadPrivateCopy()
    {
        using var lease = Acquire();
        // Int8 would also build and optimise an ONNX Runtime session per request (about 50 ms), a cost the original
        // service never had: the baseline loads the weights as the served model did before int8 (all-bf16).
        var precision = _precision.Precision == InferencePrecision.Int8 ? new ServingPrecision(InferencePrecision.Bf16, 0) : _precision;
        return PneumoniaPredictor.Load(lease.Directory, _decoder, precision, _inferenceThreads);
    }

    /// <summary>
    /// Loads <paramref name="production"/> unless it is loaded already, then swaps it in. Loading happens on the
    /// caller's thread (a background loop), never under a lock that predictions take.
    /// </summary>
    public async Task EnsureLoadedAsync(ProductionModel production, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(production);
        if (Version == production.Version)
        {
            return;
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            if (Version == production.Version)
            {
                return;
            }

            PneumoniaPredictor predictor;
            try
            {
                predictor = PneumoniaPredictor.Load(_store.PathOf(production.Directory), _decoder, _precision, _inferenceThreads);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException or System.Text.Json.JsonException)
            {
                Volatile.Write(ref _lastError, $"loading model {production.Version} failed: {ex.Message}");
                _logger.LogError(ex, "Loading production model {Version} failed; still serving {Current}", production.Version, Version ?? "nothing");
                return;
            }

            var previous = Interlocked.Exchange(ref _current, new LoadedModel(predictor, _store.PathOf(production.Directory)));
            Volatile.Write(ref _lastError, null);
            previous?.Retire();
            _logger.LogInformation("Serving model {Version} in {Precision} (was {Previous})", production.Version, predictor.Serving, previous?.Predictor.Card.Version ?? "none");
        }
        finally
        {
            _loading.Release();
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _current, null)?.Retire();
        _loading.Dispose();
    }

    /// <summary>A loaded predictor with a lease count; the host holds one lease until it retires the model.</summary>
    internal sealed class LoadedModel(PneumoniaPredictor predictor, string directory)
    {
        private int _leases = 1;

        public PneumoniaPredictor Predictor { get; } = predictor;

        public string Directory { get; } = directory;

        public bool TryAddLease()
        {
            var leases = Volatile.Read(ref _leases);
            while (leases > 0)
            {
                var seen = Interlocked.CompareExchange(ref _leases, leases + 1, leases);
                if (seen == leases)
                {
                    return true;
                }

                leases = seen;
            }

            return false;
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _leases) == 0)
            {
                Predictor.Dispose();
            }
        }

        public void Retire() => Release();
    }
}

/// <summary>The right to use a model until disposed.</summary>
public sealed class ModelLease : IDisposable
{
    private ProductionModelHost.LoadedModel? _model;

    internal ModelLease(ProductionModelHost.LoadedModel model) => _model = model;

    public PneumoniaPredictor Predictor => Model.Predictor;

    /// <summary>The folder the leased model was loaded from.</summary>
    public string Directory => Model.Directory;

    private ProductionModelHost.LoadedModel Model => _model ?? throw new ObjectDisposedException(nameof(ModelLease));

    public void Dispose() => Interlocked.Exchange(ref _model, null)?.Release();
}
