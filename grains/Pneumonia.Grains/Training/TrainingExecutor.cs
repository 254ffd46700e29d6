using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pneumonia.Grains.Hosting;

namespace Pneumonia.Grains.Training;

/// <summary>
/// Runs training off the grain scheduler, one run at a time per silo, each on its own dedicated thread: an epoch is one
/// long synchronous call and TorchSharp's dispose scopes and grad mode are per thread.
/// </summary>
public sealed class TrainingExecutor(IOptions<RetrainOptions> options, ILogger<TrainingExecutor> logger) : IDisposable
{
    // The coordinator admits one job per cluster; this also holds within a silo if a job of a dead activation is
    // still unwinding when the next one starts.
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Starts <paramref name="work"/> on a new thread and returns at once; the task ends with its result.</summary>
    public Task<T> Run<T>(string name, Func<CancellationToken, T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        // TaskScheduler.Default explicitly: called from a grain, TaskScheduler.Current is the activation's scheduler,
        // which would run the whole training inside the grain's turn.
        return Task.Factory.StartNew(
            () =>
            {
                _oneAtATime.Wait(cancellationToken);
                try
                {
                    if (options.Value.WorkerThreads > 0)
                    {
                        TorchSharp.torch.set_num_threads(options.Value.WorkerThreads);
                    }

                    logger.LogInformation("Training {Name} started on thread {Thread}", name, Environment.CurrentManagedThreadId);
                    return work(cancellationToken);
                }
                finally
                {
                    _oneAtATime.Release();
                }
            },
            cancellationToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    public void Dispose() => _oneAtATime.Dispose();
}
