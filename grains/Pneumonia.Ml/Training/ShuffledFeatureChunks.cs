using static TorchSharp.torch;
using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Training;

/// <summary>
/// The frozen stages' output for one epoch's shuffled order of a training set, computed a chunk at a time as the
/// batches ask for it: one forward pass through the frozen stages per image and epoch (as caching the whole epoch
/// did), with memory bounded by the chunk instead of growing with the data set (about 100 KB per image at 160 px).
/// </summary>
internal sealed class ShuffledFeatureChunks : IDisposable
{
    private readonly PneumoniaNetwork _network;
    private readonly ServingNetwork? _frozenStages;
    private readonly Tensor _pixels;
    private readonly Tensor _order;
    private readonly int _completedStage;
    private readonly Func<Tensor, Tensor> _augment;
    private readonly long _chunkImages;
    private readonly CancellationToken _cancellationToken;
    private Tensor? _chunk;
    private long _chunkStart;

    /// <param name="pixels">The whole training set, uint8 [N,1,S,S].</param>
    /// <param name="order">This epoch's order: row i of the epoch is image <c>order[i]</c>.</param>
    /// <param name="augment">Applied to each slice (float32 grey 0..255) before the frozen stages.</param>
    /// <param name="chunkImages">Images computed at once; a whole number of batches, so that no batch straddles two chunks.</param>
    public ShuffledFeatureChunks(
        PneumoniaNetwork network, ServingNetwork? frozenStages, Tensor pixels, Tensor order, int completedStage, Func<Tensor, Tensor> augment,
        long chunkImages, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkImages, 1);
        _network = network;
        _frozenStages = frozenStages;
        _pixels = pixels;
        _order = order;
        _completedStage = completedStage;
        _augment = augment;
        _chunkImages = chunkImages;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The features (bfloat16) of rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="length"/> of the epoch; ask in order.</summary>
    public Tensor Rows(long start, long length)
    {
        if (_chunk is null || start < _chunkStart || start + length > _chunkStart + _chunk.shape[0])
        {
            _chunk?.Dispose();
            _chunkStart = start;
            var count = Math.Min(Math.Max(_chunkImages, length), _order.shape[0] - start);
            using var chunkPixels = _pixels.index_select(0, _order.narrow(0, start, count));
            // Owned here, not by the caller's dispose scope (a training batch's): it must outlive the batch that asked for it.
            _chunk = NetworkScoring.ComputeAugmentedFeatures(
                _network, _frozenStages, chunkPixels, _completedStage, _augment, cancellationToken: _cancellationToken).DetachFromDisposeScope();
        }

        return _chunk.narrow(0, start - _chunkStart, length);
    }

    public void Dispose() => _chunk?.Dispose();
}
