using static TorchSharp.torch;

namespace Pneumonia.Ml.Training;

/// <summary>One image to train or evaluate on: its id (the content hash) and its label.</summary>
public sealed record LabelledImage(string ImageId, bool IsPneumonia);

/// <summary>
/// A split decoded once into memory as model-input grey bytes [N,1,S,S] (26 KB an image at 160 px, 50 KB at 224):
/// decoding every epoch would cost more than the network on small inputs, and even 100,000 images fit (2.6 GB at 160 px).
/// </summary>
public sealed class XrayPixelSet : IDisposable
{
    private XrayPixelSet(Tensor pixels, Tensor targets, IReadOnlyList<LabelledImage> images, int inputSize)
    {
        Pixels = pixels;
        Targets = targets;
        Images = images;
        InputSize = inputSize;
    }

    /// <summary>uint8 [N,1,S,S] grey pixels exactly as the preprocessor produced them.</summary>
    public Tensor Pixels { get; }

    /// <summary>float32 [N]: 1 for PNEUMONIA, 0 for NORMAL.</summary>
    public Tensor Targets { get; }

    public IReadOnlyList<LabelledImage> Images { get; }

    public int InputSize { get; }

    public int Count => Images.Count;

    public int Positives => Images.Count(i => i.IsPneumonia);

    /// <summary>How often <see cref="Load"/> reports: often enough for a progress bar, rarely enough to cost nothing.</summary>
    public const int ProgressEvery = 64;

    /// <summary>
    /// Loads every image through <paramref name="toModelPixels"/> (the one preprocessing path serving uses too), in parallel.
    /// </summary>
    /// <param name="decoded">Told the number of images decoded so far, every <see cref="ProgressEvery"/> images and at the end.</param>
    public static XrayPixelSet Load(
        IReadOnlyList<LabelledImage> images,
        Func<string, byte[]> toModelPixels,
        int inputSize,
        Action<int>? decoded = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(toModelPixels);
        var pixelsPerImage = inputSize * inputSize;
        // Written image by image into the one native tensor: a managed buffer of the whole set would hold it twice at
        // the end, and cannot pass 2 GB (80,000 images at 160 px; 43,000 at 224), which large data sets do (issue 16).
        var pixelTensor = empty([images.Count, 1, inputSize, inputSize], ScalarType.Byte);
        try
        {
            var done = 0;
            Parallel.For(0, images.Count, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                if (decoded is not null && Interlocked.Increment(ref done) % ProgressEvery == 0) decoded(done);
                var pixels = toModelPixels(images[i].ImageId);
                if (pixels.Length != pixelsPerImage)
                    throw new InvalidOperationException($"image {images[i].ImageId} gave {pixels.Length} pixels, expected {pixelsPerImage}");
                using var source = tensor(pixels, [1L, inputSize, inputSize], ScalarType.Byte);
                using var row = pixelTensor[i];
                row.copy_(source);
            });
        }
        catch
        {
            pixelTensor.Dispose();
            throw;
        }

        decoded?.Invoke(images.Count);
        var targets = tensor(images.Select(i => i.IsPneumonia ? 1f : 0f).ToArray());
        return new XrayPixelSet(pixelTensor, targets, images, inputSize);
    }

    public void Dispose()
    {
        Pixels.Dispose();
        Targets.Dispose();
    }
}
