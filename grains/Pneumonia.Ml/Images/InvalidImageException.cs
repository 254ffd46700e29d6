namespace Pneumonia.Ml.Images;

/// <summary>
/// The one exception <see cref="XrayImageDecoder"/> throws for a file it will not decode; the message is meant for
/// the person who supplied the file. Exceptions of the image library are never passed on (not even as inner
/// exceptions), so callers depend on this type only.
/// </summary>
public sealed class InvalidImageException : Exception
{
    /// <summary>Creates the exception with its reason and a human-readable message.</summary>
    public InvalidImageException(InvalidImageReason reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    /// <summary>What was wrong with the file.</summary>
    public InvalidImageReason Reason { get; }
}
