using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;

namespace Pneumonia.Grains.Training;

/// <summary>The limits a retrain request must respect.</summary>
public static class RetrainRequests
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first value outside <paramref name="options"/>' limits.</summary>
    public static void Validate(RetrainRequest request, RetrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        if (request.Epochs < 1 || request.Epochs > options.MaxEpochs)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Epochs, $"Epochs must be between 1 and {options.MaxEpochs}.");
        }

        if (request.BatchSize < 1 || request.BatchSize > options.MaxBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.BatchSize, $"BatchSize must be between 1 and {options.MaxBatchSize}.");
        }
    }
}
