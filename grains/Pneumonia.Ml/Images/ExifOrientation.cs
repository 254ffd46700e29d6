using System.Buffers.Binary;

namespace Pneumonia.Ml.Images;

/// <summary>
/// Reads the one piece of metadata the decoder honours, the EXIF orientation tag (0x0112), straight from the file's
/// bytes: the JPEG APP1 "Exif" segment or the PNG <c>eXIf</c> chunk, then IFD0 of the TIFF structure inside it.
/// </summary>
/// <remarks>
/// The image library's metadata parsing stays off (see <see cref="XrayImageDecoder"/>): this reader allocates
/// nothing, reads only headers (segment and chunk lengths are skipped over, never followed into a buffer), stops at
/// the first image data and checks every offset against the bytes it was given, so a crafted file costs at most one
/// pass over its own bytes. Anything unreadable is taken as "no orientation" (<see cref="Normal"/>), as viewers do.
/// </remarks>
public static class ExifOrientation
{
    /// <summary>Stored as displayed (EXIF value 1), also the answer when there is no readable tag.</summary>
    public const int Normal = 1;

    private const ushort OrientationTag = 0x0112;
    private const ushort ShortType = 3;

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The EXIF orientation (1-8) of a JPEG or PNG file; <see cref="Normal"/> when absent or invalid.</summary>
    public static int Read(ReadOnlySpan<byte> file)
    {
        if (file.StartsWith([(byte)0xFF, (byte)0xD8]))
        {
            return FromJpeg(file);
        }

        return file.StartsWith(PngSignature) ? FromPng(file) : Normal;
    }

    private static int FromJpeg(ReadOnlySpan<byte> file)
    {
        var position = 2;
        while (position + 4 <= file.Length)
        {
            if (file[position] != 0xFF)
            {
                return Normal;
            }

            var marker = file[position + 1];
            if (marker == 0xFF)
            {
                position++; // fill byte before a marker
                continue;
            }

            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                position += 2; // markers without a length
                continue;
            }

            if (marker is 0xDA or 0xD9)
            {
                return Normal; // image data (or the end) reached without an Exif segment
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(file[(position + 2)..]);
            if (length < 2 || position + 2 + length > file.Length)
            {
                return Normal;
            }

            var segment = file.Slice(position + 4, length - 2);
            if (marker == 0xE1 && segment.StartsWith("Exif\0\0"u8))
            {
                return FromTiff(segment[6..]);
            }

            position += 2 + length;
        }

        return Normal;
    }

    private static int FromPng(ReadOnlySpan<byte> file)
    {
        long position = 8;
        while (position + 12 <= file.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(file[(int)position..]);
            var type = file.Slice((int)position + 4, 4);
            if (length > int.MaxValue || position + 12 + length > file.Length || type.SequenceEqual("IEND"u8))
            {
                return Normal;
            }

            if (type.SequenceEqual("eXIf"u8))
            {
                return FromTiff(file.Slice((int)position + 8, (int)length));
            }

            position += 12 + length;
        }

        return Normal;
    }

    private static int FromTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
        {
            return Normal;
        }

        bool little;
        if (tiff.StartsWith("II*\0"u8))
        {
            little = true;
        }
        else if (tiff.StartsWith("MM\0*"u8))
        {
            little = false;
        }
        else
        {
            return Normal;
        }

        var ifd = ReadUInt32(tiff[4..], little);
        if (ifd < 8 || ifd > tiff.Length - 2)
        {
            return Normal;
        }

        var entries = ReadUInt16(tiff[(int)ifd..], little);
        var first = (int)ifd + 2;
        // Each entry is 12 bytes; entries the data cannot hold are not read.
        var count = Math.Min(entries, (tiff.Length - first) / 12);
        for (var i = 0; i < count; i++)
        {
            var entry = tiff.Slice(first + (i * 12), 12);
            if (ReadUInt16(entry, little) != OrientationTag)
            {
                continue;
            }

            if (ReadUInt16(entry[2..], little) != ShortType || ReadUInt32(entry[4..], little) != 1)
            {
                return Normal;
            }

            var value = ReadUInt16(entry[8..], little);
            return value is >= 1 and <= 8 ? value : Normal;
        }

        return Normal;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> bytes, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16BigEndian(bytes);

    private static uint ReadUInt32(ReadOnlySpan<byte> bytes, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt32BigEndian(bytes);
}
