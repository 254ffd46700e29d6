using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Telemetry;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Grains.Prediction;

/// <summary>
/// The silo's inference threads (<see cref="PredictionOptions.InferenceWorkers"/>, each running torch with
/// <see cref="PredictionOptions.InferenceThreads"/> threads). Requests hand them preprocessed pixels; whenever one is
/// free it takes everything queued (up to <see cref="PredictionOptions.MaxBatchImages"/>) and classifies it in one
/// forward pass per model. A lone request therefore waits for nothing, while concurrent ones share a pass: batching
/// is where CPU inference gets its throughput, and torch work stays off the Orleans scheduler and request threads,
/// which keep decoding the next images in parallel.
/// </summary>
public sealed class InferenceBatcher : IDisposable
{
    private readonly Channel<WorkItem> _queue = Channel.CreateUnbounded<WorkItem>();
    private readonly PredictionOptions _options;
    private readonly ILogger<InferenceBatcher> _logger;
    private readonly GrainMetrics _metrics;
    private readonly Lazy<Thread[]> _threads;
    private long _passes;
    private long _images;

    public InferenceBatcher(IOptions<PredictionOptions> options, GrainMetrics metrics, ILogger<InferenceBatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        // Started on first use: a silo that never predicts (or a test that never does) has no idle threads.
        _threads = new Lazy<Thread[]>(() => Enumerable.Range(0, _options.InferenceWorkers).Select(i =>
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"pneumonia-inference-{i}" };
            thread.Start();
            return thread;
        }).ToArray());
    }

    /// <summary>Forward passes run so far (a batched pass counts once).</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Images classified by those passes.</summary>
    public long Images => Interlocked.Read(ref _images);

    /// <summary>Classifies one image's model pixels with <paramref name="predictor"/>, batched with whatever else is queued.</summary>
    public Task<XrayPrediction> PredictAsync(PneumoniaPredictor predictor, byte[] modelPixels)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(modelPixels);
        var item = new Prediction(predictor, modelPixels);
        Enqueue(item);
        return item.Result.Task;
    }

    /// <summary>Runs <paramref name="work"/> (torch work that cannot be batched, e.g. a heatmap) on the inference thread.</summary>
    public Task<T> RunAsync<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var item = new Exclusive<T>(work);
        Enqueue(item);
        return item.Result.Task;
    }

    public void Dispose() => _queue.Writer.TryComplete();

    private void Enqueue(WorkItem item)
    {
        _ = _threads.Value;
        if (_queue.Writer.TryWrite(item))
        {
            _metrics.Queued(1);
        }
        else
        {
            item.Fail(new ObjectDisposedException(nameof(InferenceBatcher)));
        }
    }

    private void Loop()
    {
        if (_options.InferenceThreads > 0)
        {
            // Per thread with libtorch's OpenMP pool: this sets the forward pass's threads, not training's.
            TorchSharp.torch.set_num_threads(_options.InferenceThreads);
        }

        var reader = _queue.Reader;
        var batch = new List<Prediction>(_options.MaxBatchImages);
        // A dedicated thread that has nothing else to do: blocking on the channel is what it is for.
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (batch.Count < _options.MaxBatchImages && reader.TryRead(out var item))
            {
                _metrics.Queued(-1);
                if (item is Prediction prediction)
                {
                    batch.Add(prediction);
                }
                else if (item is ExclusiveWork work)
                {
                    work.Run();
                }
            }

            RunBatch(batch);
            batch.Clear();
        }
    }

    private void RunBatch(List<Prediction> batch)
    {
        // Requests queued across a model switch hold leases on different models: one pass per model.
        foreach (var group in batch.GroupBy(p => p.Predictor))
        {
            var items = group.ToList();
            try
            {
                var started = Stopwatch.GetTimestamp();
                var results = group.Key.PredictPixels(items.ConvertAll(p => p.Pixels));
                _metrics.ForwardPass(items.Count, Stopwatch.GetElapsedTime(started));
                Interlocked.Increment(ref _passes);
                Interlocked.Add(ref _images, items.Count);
                for (var i = 0; i < items.Count; i++)
                {
                    items[i].Result.TrySetResult(results[i]);
                }
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "A forward pass of {Count} images failed", items.Count);
                items.ForEach(p => p.Fail(ex));
            }
        }
    }

    private abstract class WorkItem
    {
        public abstract void Fail(Exception exception);
    }

    private abstract class ExclusiveWork : WorkItem
    {
        public abstract void Run();
    }

    private sealed class Prediction(PneumoniaPredictor predictor, byte[] pixels) : WorkItem
    {
        public PneumoniaPredictor Predictor { get; } = predictor;

        public byte[] Pixels { get; } = pixels;

        // Continuations must not run on the inference thread: it would decode the caller's next request.
        public TaskCompletionSource<XrayPrediction> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Fail(Exception exception) => Result.TrySetException(exception);
    }

    private sealed class Exclusive<T>(Func<T> work) : ExclusiveWork
    {
        public TaskCompletionSource<T> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run()
        {
            try
            {
                Result.TrySetResult(work());
            }
            catch (Exception ex)
            {
                Result.TrySetException(ex);
            }
        }

        public override void Fail(Exception exception) => Result.TrySetException(exception);
    }
}
