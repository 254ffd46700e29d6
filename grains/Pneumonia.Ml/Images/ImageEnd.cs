using System.Buffers.Binary;

namespace Pneumonia.Ml.Images;

/// <summary>
/// Where a JPEG or PNG file really ends, by walking its structure: JPEG segments and entropy-coded scans up to the
/// end-of-image marker, PNG chunks up to <c>IEND</c> and its CRC. Bytes after that end are not part of the image
/// (a zip, a script, megabytes of zeros): decoders ignore them, so they can only be a payload riding along.
/// Only the structure is read, never pixels; run it on bytes the decoder accepted.
/// </summary>
public static class ImageEnd
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The offset just past the image's last byte, or null when the bytes are not a complete JPEG or PNG.</summary>
    public static long? Find(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith(PngSignature) ? PngEnd(bytes)
        : bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8 ? JpegEnd(bytes)
        : null;

    private static long? PngEnd(ReadOnlySpan<byte> bytes)
    {
        long position = PngSignature.Length;
        // length (4) + type (4) + data + CRC (4), until IEND.
        while (position + 12 <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(bytes[(int)position..]);
            var type = bytes.Slice((int)position + 4, 4);
            var end = position + 12 + length;
            if (end > bytes.Length)
            {
                return null;
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return end;
            }

            position = end;
        }

        return null;
    }

    private static long? JpegEnd(ReadOnlySpan<byte> bytes)
    {
        var position = 2;
        while (position + 1 < bytes.Length)
        {
            if (bytes[position] != 0xFF)
            {
                return null;
            }

            var marker = bytes[position + 1];
            if (marker == 0xFF)
            {
                // Fill byte before a marker.
                position++;
                continue;
            }

            if (marker == 0xD9)
            {
                return position + 2;
            }

            // Standalone markers: TEM and the restart markers carry no length.
            if (marker == 0x01 || marker is >= 0xD0 and <= 0xD7)
            {
                position += 2;
                continue;
            }

            if (position + 3 >= bytes.Length)
            {
                return null;
            }

            position += 2 + BinaryPrimitives.ReadUInt16BigEndian(bytes[(position + 2)..]);
            if (marker == 0xDA)
            {
                position = EndOfScan(bytes, position);
            }
        }

        return null;
    }

    // Entropy-coded data escapes 0xFF as 0xFF 0x00 and may hold restart markers; any other marker ends the scan.
    private static int EndOfScan(ReadOnlySpan<byte> bytes, int position)
    {
        while (position + 1 < bytes.Length)
        {
            if (bytes[position] == 0xFF && bytes[position + 1] is not 0x00 and not (>= 0xD0 and <= 0xD7) and not 0xFF)
            {
                return position;
            }

            position++;
        }

        return bytes.Length;
    }
}
