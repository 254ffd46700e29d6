using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace Pneumonia.Ml.Images;

/// <summary>
/// Turns an X-ray into the model's input pixels. The one path used by training, evaluation and serving, so the
/// model sees every image prepared the same way; the model normalises the grey bytes itself. Thread-safe.
/// </summary>
public sealed class XrayPreprocessor
{
    // Files are decoded (and pictures reduced) to at least this many times the input size before the resampler runs,
    // as Pillow's reducing_gap. With 1, a block mean (or DCT scale) followed by a near-1:1 resize softens edges: on
    // test X-rays enlarged to 2000-3000 px, up to 44 grey levels from the full-size triangle resize (mean 1-3); with 2,
    // JPEG model pixels stay within a few grey levels of it (mean under 1) and 16-bit PNG within 29 (mean under 1.3),
    // for a costlier decode (a 2000 px JPEG at 1/4 instead of 1/8: still a fraction of a full decode). Issue 17.
    private const int ReducingGap = 2;

    private readonly XrayImageDecoder _decoder;
    private readonly IResampler _resampler;

    /// <summary>Creates a preprocessor for the given parameters that decodes files with <paramref name="decoder"/>.</summary>
    public XrayPreprocessor(PreprocessingParameters parameters, XrayImageDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(decoder);
        parameters.Validate();
        Parameters = parameters;
        _decoder = decoder;
        _resampler = parameters.Resampler == PreprocessingParameters.Bicubic ? KnownResamplers.Bicubic : KnownResamplers.Triangle;
    }

    /// <summary>The decoder (and so the limits) this preprocessor reads files with.</summary>
    public XrayImageDecoder Decoder => _decoder;

    /// <summary>The parameters this preprocessor applies.</summary>
    public PreprocessingParameters Parameters { get; }

    /// <summary>
    /// Squashes <paramref name="image"/> to InputSize x InputSize (aspect ratio not kept) and returns its grey
    /// bytes, row-major: an image four times the input size or more is first shrunk by whole-pixel block means to
    /// no less than twice the input size (as <see cref="XrayImageDecoder.DecodeGrey(byte[], int)"/> does), then
    /// resized with the resampler. The image is not changed.
    /// </summary>
    public byte[] ToModelPixels(Image<L8> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var size = Parameters.InputSize;
        if (Math.Min(image.Width, image.Height) / (ReducingGap * size) >= 2)
        {
            var all = new byte[image.Width * image.Height];
            image.CopyPixelDataTo(all);
            var reduced = new GreyPixels(all, image.Width, image.Height).ReduceTo(ReducingGap * size);
            using var small = Image.WrapMemory<L8>(reduced.Pixels.AsMemory(), reduced.Width, reduced.Height);
            return Squash(small);
        }

        return Squash(image);
    }

    /// <summary>
    /// Decodes a JPEG or PNG file and returns its model pixels: decoded straight to the smallest size that keeps
    /// twice the input size (<see cref="DecodeReduced"/>), then as <see cref="ToModelPixels"/>.
    /// </summary>
    /// <exception cref="InvalidImageException">The file is not an acceptable image.</exception>
    public byte[] LoadModelPixels(byte[] fileBytes)
    {
        using var image = DecodeReduced(fileBytes);
        return ToModelPixels(image);
    }

    /// <summary>
    /// The picture <see cref="LoadModelPixels"/> resizes: the file decoded (a JPEG at a DCT scale) and reduced to the
    /// smallest size that keeps twice the input size, upright. Its <see cref="ToModelPixels"/> are the file's model
    /// pixels. The caller owns (and disposes) it.
    /// </summary>
    /// <exception cref="InvalidImageException">The file is not an acceptable image.</exception>
    public Image<L8> DecodeReduced(byte[] fileBytes) => _decoder.DecodeGrey(fileBytes, ReducingGap * Parameters.InputSize);

    private byte[] Squash(Image<L8> image)
    {
        var size = Parameters.InputSize;
        var pixels = new byte[size * size];
        if (image.Width == size && image.Height == size)
        {
            image.CopyPixelDataTo(pixels);
            return pixels;
        }

        var options = new ResizeOptions { Size = new Size(size, size), Mode = ResizeMode.Stretch, Sampler = _resampler };
        using var resized = image.Clone(context => context.Resize(options));
        resized.CopyPixelDataTo(pixels);
        return pixels;
    }
}
