using FsCheck.Xunit;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Data.Uploads;
using Pneumonia.Ml.Images;
using Pneumonia.Reliability.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Pneumonia.Reliability.Tests;

/// <summary>
/// FsCheck properties of preprocessing, the image decoder, the archive reader and label parsing. Each property runs
/// <see cref="Cases"/> generated inputs (FsCheck shrinks and prints the seed of any failure); the count of inputs
/// tried is recorded for the report when the last one runs (a failing property fails the run, so its record is moot).
/// </summary>
public sealed class PropertyTests
{
    private const int Cases = 200;
    private const int Size = 64;

    // Folder names an uploader might use: labels in any case, splits, and names that try to escape.
    private static readonly string[] Segments =
        ["NORMAL", "normal", "Pneumonia", "PNEUMONIA", "train", "val", "test", "data", "x-rays", "..", ".", "", "C:", "NORMALX", "pneumonia_", "a b", "\u00e9t\u00e9"];

    // Any shape: these properties are about the mechanics of decoding and resizing, not about what a film must be.
    private static readonly XrayPreprocessor Preprocessor = new(PreprocessingParameters.Default with { InputSize = Size }, new XrayImageDecoder(ImageLimits.AnyShape));
    private static readonly byte[] RealJpeg = Files.OneXray(9);
    private static readonly byte[] RealPng = Png(40, 30, 7);
    private static readonly Dictionary<string, int> Counts = [];

    [Property(MaxTest = Cases)]
    public bool Preprocessing_gives_input_size_pixels_deterministically_and_keeps_a_uniform_grey(int width, int height, byte grey, bool asPng)
    {
        var (w, h) = (1 + (Math.Abs(width) % 500), 1 + (Math.Abs(height) % 500));
        var file = asPng ? Png(w, h, grey) : Jpeg(w, h, grey);
        var pixels = Preprocessor.LoadModelPixels(file);
        var again = Preprocessor.LoadModelPixels(file);
        var tolerance = asPng ? 1 : 3;
        Assert.Equal(Size * Size, pixels.Length);
        Assert.Equal(pixels, again);
        Assert.All(pixels, p => Assert.InRange(p, grey - tolerance, grey + tolerance));
        Count(Areas.Properties, "preprocessing: any size 1-500 px, PNG or JPEG, uniform grey",
            "always 64 x 64 pixels, the same twice, the grey kept (PNG within 1, JPEG within 3)");
        return true;
    }

    [Property(MaxTest = Cases)]
    public bool The_decoder_refuses_damaged_files_only_with_an_invalid_image_error(int[] positions, byte[] values, bool png)
    {
        var file = (byte[])(png ? RealPng : RealJpeg).Clone();
        for (var i = 0; i < Math.Min(positions.Length, values.Length); i++)
        {
            file[Math.Abs(positions[i] % file.Length)] = values[i];
        }

        var cut = positions.Length > 0 && positions[0] % 3 == 0 ? file[..Math.Abs(positions[0] % file.Length)] : file;
        try
        {
            using var image = Preprocessor.Decoder.DecodeGrey(cut);
            Assert.InRange((long)image.Width * image.Height, 1, Preprocessor.Decoder.Limits.MaxPixels);
        }
        catch (InvalidImageException ex)
        {
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        }

        Count(Areas.Properties, "image decoder: real JPEG/PNG with random bytes overwritten and random truncation",
            "each decoded within the pixel limits or was refused with InvalidImageException; no other exception");
        return true;
    }

    [Property(MaxTest = Cases)]
    public bool The_archive_reader_yields_one_item_per_entry_refuses_unsafe_names_and_labels_by_the_innermost_folder(int[][] names)
    {
        var entries = names.Take(20).Select((picks, i) => string.Join('/', picks.Take(5).Select(p => Segments[Math.Abs(p % Segments.Length)]).Append($"f{i}.jpeg"))).ToList();
        var zip = Files.Zip([.. entries.Select(name => (name, RealJpeg))]);
        var reader = new UploadReader(new UploadLimits());
        var items = reader.Read([new UploadSource("upload.zip", new MemoryStream(zip))], looseLabel: null).ToList();

        Count(Areas.Properties, "archive reader: zips of up to 20 entries with random folder paths (labels, splits, '..', '.', empty, drive names)",
            "one item per entry, in order (an empty zip: one EmptyArchive rejection); every unsafe name refused unread; every label the innermost label folder");
        if (entries.Count == 0)
        {
            Assert.Equal(UploadRejectionReason.EmptyArchive, Assert.IsType<UploadRejection>(Assert.Single(items)).Reason);
            return true;
        }

        Assert.Equal(entries.Count, items.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            if (IsUnsafe(entries[i]))
            {
                Assert.Equal(UploadRejectionReason.UnsafeName, Assert.IsType<UploadRejection>(items[i]).Reason);
            }
            else
            {
                var candidate = Assert.IsType<UploadCandidate>(items[i]);
                Assert.Equal(entries[i], candidate.Name);
                Assert.Equal(InnermostLabel(entries[i]), candidate.Label);
            }
        }

        return true;
    }

    [Property(MaxTest = Cases)]
    public bool The_archive_reader_survives_damaged_archives(int[] positions, byte[] values)
    {
        var zip = Files.Zip(("NORMAL/a.jpeg", RealJpeg), ("PNEUMONIA/b.png", RealPng), ("c.jpeg", RealJpeg));
        for (var i = 0; i < Math.Min(positions.Length, values.Length); i++)
        {
            zip[Math.Abs(positions[i] % zip.Length)] = values[i];
        }

        var items = new UploadReader(new UploadLimits(MaxFileBytes: 1 << 20, MaxUncompressedBytes: 8 << 20))
            .Read([new UploadSource("damaged.zip", new MemoryStream(zip))], looseLabel: ImageLabel.Normal).ToList();
        Assert.NotEmpty(items);
        Assert.All(items.OfType<UploadCandidate>(), c => Assert.True(c.Bytes.Length <= 1 << 20));
        Count(Areas.Properties, "archive reader: a valid 3-entry zip with random bytes overwritten",
            "every damaged archive read to the end without an exception escaping: entries, or per-entry/per-archive rejections");
        return true;
    }

    [Property(MaxTest = Cases)]
    public bool Label_parsing_takes_the_innermost_label_folder_and_never_the_file_name(int[] picks, bool backslashes, bool fileNamedLikeALabel)
    {
        var folders = picks.Take(8).Select(p => Segments[Math.Abs(p % Segments.Length)]).ToList();
        var path = string.Join(backslashes ? '\\' : '/', folders.Append(fileNamedLikeALabel ? "PNEUMONIA" : "x.jpeg"));
        var (label, split) = UploadReader.ParseFolders(path);
        Assert.Equal(InnermostLabel(path), label);
        var expectedSplit = folders.AsEnumerable().Reverse().Select(f => SplitNames.TryParse(f, out var s) ? s : (ImageSplit?)null).FirstOrDefault(s => s is not null);
        Assert.Equal(expectedSplit, split);
        Count(Areas.Properties, "label parsing: random folder paths with either slash, a file named like a label",
            "the label is always the innermost NORMAL/PNEUMONIA folder (any case), the file name never counts; the split likewise");
        return true;
    }

    // The oracle, written independently of UploadReader: folders only (not the last segment), innermost first.
    private static ImageLabel? InnermostLabel(string path)
    {
        var folders = path.Split('/', '\\')[..^1];
        foreach (var folder in folders.Reverse())
        {
            if (folder.Equals("NORMAL", StringComparison.OrdinalIgnoreCase))
            {
                return ImageLabel.Normal;
            }

            if (folder.Equals("PNEUMONIA", StringComparison.OrdinalIgnoreCase))
            {
                return ImageLabel.Pneumonia;
            }
        }

        return null;
    }

    private static bool IsUnsafe(string name) => name.StartsWith('/') || name.Contains(':', StringComparison.Ordinal) || name.Split('/').Contains("..");

    private static byte[] Png(int width, int height, byte grey)
    {
        using var image = new Image<L8>(width, height, new L8(grey));
        using var stream = new MemoryStream();
        image.Save(stream, new PngEncoder());
        return stream.ToArray();
    }

    private static byte[] Jpeg(int width, int height, byte grey)
    {
        using var image = new Image<L8>(width, height, new L8(grey));
        using var stream = new MemoryStream();
        image.Save(stream, new JpegEncoder { Quality = 90 });
        return stream.ToArray();
    }

    private static void Count(string area, string name, string outcome)
    {
        int count;
        lock (Counts)
        {
            count = Counts[name] = Counts.GetValueOrDefault(name) + 1;
        }

        if (count == Cases)
        {
            ReliabilityLog.Record(area, name, count, outcome);
        }
    }
}
