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
    /// bytes, row-major. The image is not changed.
    /// </summary>
    public byte[] ToModelPixels(Image<L8> image)
    {
        ArgumentNullException.ThrowIfNull(image);
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

    /// <summary>Decodes a JPEG or PNG file and returns its model pixels (see <see cref="ToModelPixels"/>).</summary>
    /// <exception cref="InvalidImageException">The file is not an acceptable image.</exception>
    public byte[] LoadModelPixels(byte[] fileBytes)
    {
        using var image = _decoder.DecodeGrey(fileBytes);
        return ToModelPixels(image);
    }
}
