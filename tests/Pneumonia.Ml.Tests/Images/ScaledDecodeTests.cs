using Pneumonia.Ml.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pneumonia.Ml.Tests.Images;

/// <summary>
/// Full-size films decoded straight to the size the model needs (issue 17): JPEG at a DCT scale, any image shrunk by
/// block means, then the resize. The reference is ImageSharp's own full-size decode of the same file, resized with
/// the same triangle filter: an independent decoder and the path this replaced.
/// </summary>
public sealed class ScaledDecodeTests
{
    private const int InputSize = 160;

    private static readonly PreprocessingParameters Parameters = new() { InputSize = InputSize };

    private readonly XrayImageDecoder _decoder = new();

    [Theory]
    [InlineData(2000, 1800, 250, 225)] // 1/8 keeps both sides
    [InlineData(1200, 900, 300, 225)] // 1/8 would give 150 x 113: 2/8
    [InlineData(4000, 3000, 250, 187)] // 1/8 gives 500 x 375, still twice 160 a side: 2 x 2 block means
    public void A_jpeg_is_decoded_at_the_smallest_dct_scale_that_keeps_both_sides(int width, int height, int expectedWidth, int expectedHeight)
    {
        using var image = _decoder.DecodeGrey(LargeXrayJpeg(width, height), InputSize);

        Assert.Equal((expectedWidth, expectedHeight), (image.Width, image.Height));
    }

    [Fact]
    public void A_jpeg_already_near_the_input_size_is_never_enlarged()
    {
        var file = File.ReadAllBytes(Path.Combine(TestData.ChestXrayRoot, "test", "NORMAL", "IM-0001-0001.jpeg"));

        using var at160 = _decoder.DecodeGrey(file, InputSize);
        using var at300 = _decoder.DecodeGrey(file, 300);

        Assert.Equal((168, 168), (at160.Width, at160.Height)); // 6/8 of 224
        Assert.Equal((224, 224), (at300.Width, at300.Height));
    }

    [Theory]
    [InlineData(2000, 1800)]
    [InlineData(1200, 900)]
    [InlineData(2600, 2100)]
    public void Model_pixels_of_a_full_size_jpeg_match_a_full_decode_and_resize(int width, int height)
    {
        var file = LargeXrayJpeg(width, height);

        var scaled = new XrayPreprocessor(Parameters, _decoder).LoadModelPixels(file);
        var reference = ReferencePixels(file);

        var (mean, p99) = Differences(scaled, reference);
        Assert.True(mean < 1 && p99 <= 4, $"mean {mean:F2}, 99th percentile {p99} grey levels");
    }

    [Fact]
    public void Model_pixels_of_a_2500_x_2000_16_bit_png_match_a_full_decode_and_resize()
    {
        var file = LargeXray16BitPng(2500, 2000);

        var pixels = new XrayPreprocessor(Parameters, _decoder).LoadModelPixels(file);
        var reference = ReferencePixels(file);

        // Block means then the triangle filter, against the triangle filter over the whole film: edges differ a little.
        var (mean, p99) = Differences(pixels, reference);
        Assert.True(mean < 1.5 && p99 <= 8, $"mean {mean:F2}, 99th percentile {p99} grey levels");
    }

    [Fact]
    public void A_16_bit_png_decodes_at_full_size_to_its_high_bits()
    {
        // Every 16-bit value of a ramp: 8-bit grey is the value scaled to 0-255 (within one level), never its low byte.
        var (png16, _) = TestImages.GreyPngPair(2000, 1500);
        using var reference = Image.Load<L16>(png16);

        using var image = _decoder.DecodeGrey(png16);

        for (var y = 0; y < 1500; y += 7)
        {
            for (var x = 0; x < 2000; x += 13)
            {
                Assert.InRange(image[x, y].PackedValue - (reference[x, y].PackedValue / 257.0), -1, 1);
            }
        }
    }

    [Fact]
    public void The_model_pixels_of_a_file_are_those_of_its_reduced_decode_whatever_the_format()
    {
        var preprocessor = new XrayPreprocessor(Parameters, _decoder);
        foreach (var file in new[] { LargeXrayJpeg(2000, 1800), LargeXray16BitPng(2500, 2000), TestImages.ColourJpeg(1600, 1200) })
        {
            using var reduced = preprocessor.DecodeReduced(file);
            using var full = _decoder.DecodeGrey(file);

            Assert.True(Math.Min(reduced.Width, reduced.Height) is >= 2 * InputSize and < 4 * InputSize);
            Assert.Equal(preprocessor.ToModelPixels(reduced), preprocessor.LoadModelPixels(file));
            // A PNG has no DCT scale: its full decode reduced by block means is the very same picture.
            if (file[0] == 0x89)
            {
                Assert.Equal(preprocessor.ToModelPixels(full), preprocessor.LoadModelPixels(file));
            }
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(8)]
    public void A_scaled_jpeg_stored_turned_comes_out_upright(int orientation)
    {
        var upright = LargeXrayJpeg(1600, 1200);
        var turned = Turned(upright, orientation);
        Assert.Equal(orientation, ExifOrientation.Read(turned));

        using var expected = _decoder.DecodeGrey(upright, InputSize);
        using var image = _decoder.DecodeGrey(turned, InputSize);

        Assert.Equal((400, 300), (expected.Width, expected.Height));
        Assert.Equal((expected.Width, expected.Height), (image.Width, image.Height));
        var (mean, _) = Differences(PixelsOf(image), PixelsOf(expected));
        Assert.True(mean < 2, $"mean difference {mean:F2} grey levels");
        // The same pixels without their orientation are another picture, so the comparison above can fail.
        using var asStored = Image.Load<L8>(turned);
        asStored.Mutate(c => c.Resize(400, 300));
        Assert.True(Differences(PixelsOf(asStored), PixelsOf(expected)).Mean > 10);
    }

    [Fact]
    public void The_limits_are_judged_on_the_files_own_size_not_the_scaled_one()
    {
        var decoder = new XrayImageDecoder(new ImageLimits(MaxPixels: 3_000_000));
        var file = LargeXrayJpeg(2000, 1800);

        var error = Assert.Throws<InvalidImageException>(() => new XrayPreprocessor(Parameters, decoder).LoadModelPixels(file));

        Assert.Equal(InvalidImageReason.TooManyPixels, error.Reason);
        Assert.Contains("2000 x 1800 pixels", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpeg")]
    public void A_bomb_sent_to_preprocessing_is_refused_from_its_header(string format)
    {
        var real = File.ReadAllBytes(TestData.Images("train", "NORMAL", 1)[0]);
        var bomb = format == "png" ? CraftedImages.PngClaiming(30_000, 30_000) : CraftedImages.JpegClaiming(real, 60_000, 60_000);
        var preprocessor = new XrayPreprocessor(Parameters, _decoder);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidImageException>(() => preprocessor.LoadModelPixels(bomb));

        Assert.Equal(InvalidImageReason.TooManyPixels, error.Reason);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1_000_000);
    }

    [Fact]
    public void A_truncated_full_size_jpeg_is_corrupt_at_any_scale()
    {
        var file = LargeXrayJpeg(2000, 1800);
        var cut = file[..(file.Length * 2 / 3)];

        var error = Assert.Throws<InvalidImageException>(() => _decoder.DecodeGrey(cut, InputSize));

        Assert.Equal(InvalidImageReason.Corrupt, error.Reason);
        Assert.Null(error.InnerException);
    }

    // A real test X-ray enlarged to a film's size (bicubic, so the picture stays smooth like a scan) as a grey JPEG.
    private static byte[] LargeXrayJpeg(int width, int height) =>
        Encode(Enlarged<L8>(width, height), new JpegEncoder { Quality = 92, ColorType = JpegColorType.Luminance });

    private static byte[] LargeXray16BitPng(int width, int height) =>
        Encode(Enlarged<L16>(width, height), new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Grayscale });

    private static Image<TPixel> Enlarged<TPixel>(int width, int height)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        var path = Path.Combine(TestData.ChestXrayRoot, "test", "PNEUMONIA", "person100_bacteria_475.jpeg");
        var image = Image.Load<TPixel>(File.ReadAllBytes(path));
        image.Mutate(c => c.Resize(width, height, KnownResamplers.Bicubic));
        return image;
    }

    // ImageSharp's full-size decode and the triangle resize: how model pixels were made before issue 17.
    private static byte[] ReferencePixels(byte[] file)
    {
        using var image = Image.Load<L8>(file);
        image.Mutate(c => c.Resize(new ResizeOptions { Size = new Size(InputSize, InputSize), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Triangle }));
        return PixelsOf(image);
    }

    // The same picture stored turned: pixels rotated the inverse way, with the EXIF tag saying how to display them.
    private static byte[] Turned(byte[] upright, int orientation)
    {
        using var image = Image.Load<L8>(upright);
        image.Mutate(c => c.Rotate(orientation switch { 3 => RotateMode.Rotate180, 6 => RotateMode.Rotate270, _ => RotateMode.Rotate90 }));
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)orientation);
        return Encode(image, new JpegEncoder { Quality = 92, ColorType = JpegColorType.Luminance });
    }

    private static byte[] Encode<TPixel>(Image<TPixel> image, IImageEncoder encoder)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using (image)
        {
            return TestImages.Encode(image, encoder);
        }
    }

    private static byte[] PixelsOf(Image<L8> image)
    {
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static (double Mean, int P99) Differences(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var differences = a.Zip(b, (x, y) => Math.Abs(x - y)).Order().ToArray();
        return (differences.Average(), differences[(int)(differences.Length * 0.99)]);
    }
}
