namespace Pneumonia.Ml.Images;

/// <summary>Why <see cref="XrayImageDecoder"/> refused a file.</summary>
public enum InvalidImageReason
{
    /// <summary>The file has no bytes.</summary>
    Empty,

    /// <summary>The file is larger than <see cref="ImageLimits.MaxFileBytes"/>.</summary>
    TooLarge,

    /// <summary>The bytes are not recognisable as any image format.</summary>
    NotAnImage,

    /// <summary>The bytes are an image in a format other than JPEG or PNG (GIF, BMP, TIFF, WebP, DICOM).</summary>
    UnsupportedFormat,

    /// <summary>The header declares more pixels, or a longer side, than the limits allow.</summary>
    TooManyPixels,

    /// <summary>The image's shorter side is under <see cref="ImageLimits.MinSide"/>: a thumbnail or an icon, not a film.</summary>
    TooSmall,

    /// <summary>The longer side is more than <see cref="ImageLimits.MaxAspectRatio"/> times the shorter: not one chest film.</summary>
    ExtremeAspectRatio,

    /// <summary>The file starts like a JPEG or PNG but cannot be decoded (truncated or damaged).</summary>
    Corrupt,
}
