using Pneumonia.Ml.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace Pneumonia.Ml.Tests.Images;

public sealed class XrayImageDecoderTests
{
    private readonly XrayImageDecoder _decoder = new();

    [Fact]
    public void Decodes_real_kermany_jpegs_to_224_square_grey()
    {
        foreach (var path in TestData.Images("train", "NORMAL", 3).Concat(TestData.Images("test", "PNEUMONIA", 3)))
        {
            using var image = _decoder.DecodeGrey(File.ReadAllBytes(path));
            Assert.Equal((224, 224), (image.Width, image.Height));
        }
    }

    [Fact]
    public void Decodes_full_size_non_square_colour_jpeg_to_luminance()
    {
        using var image = _decoder.DecodeGrey(TestImages.ColourJpeg(1600, 1200));

        Assert.Equal((1600, 1200), (image.Width, image.Height));
        // Red grows left to right, green top to bottom; luminance must follow both.
        Assert.True(image[1500, 1100].PackedValue > image[100, 100].PackedValue + 100);
    }

    [Fact]
    public void Decodes_grey_jpeg_and_16_bit_png()
    {
        var jpeg = TestImages.HalfBlackHalfWhite(900, 1400, new JpegEncoder { ColorType = JpegColorType.Luminance });
        var (png16, _) = TestImages.GreyPngPair(2000, 1500);

        using var fromJpeg = _decoder.DecodeGrey(jpeg);
        using var fromPng = _decoder.DecodeGrey(png16);

        Assert.Equal((900, 1400), (fromJpeg.Width, fromJpeg.Height));
        Assert.Equal((2000, 1500), (fromPng.Width, fromPng.Height));
    }

    [Fact]
    public void Sixteen_bit_png_gives_the_picture_of_its_8_bit_version_within_one_grey_level()
    {
        var (png16, png8) = TestImages.GreyPngPair(2000, 1500);

        using var wide = _decoder.DecodeGrey(png16);
        using var narrow = _decoder.DecodeGrey(png8);

        var widePixels = new byte[2000 * 1500];
        var narrowPixels = new byte[2000 * 1500];
        wide.CopyPixelDataTo(widePixels);
        narrow.CopyPixelDataTo(narrowPixels);
        Assert.True(widePixels.Zip(narrowPixels).All(pair => Math.Abs(pair.First - pair.Second) <= 1));
    }

    [Fact]
    public void Empty_file_is_rejected_as_empty()
    {
        AssertRejected([], InvalidImageReason.Empty, "empty");
    }

    [Fact]
    public void File_over_the_byte_limit_is_rejected_before_decoding()
    {
        var decoder = new XrayImageDecoder(new ImageLimits(MaxFileBytes: 1000));
        var bytes = File.ReadAllBytes(TestData.Images("train", "NORMAL", 1)[0]);

        var error = Assert.Throws<InvalidImageException>(() => decoder.DecodeGrey(bytes));

        Assert.Equal(InvalidImageReason.TooLarge, error.Reason);
        Assert.Contains("over the limit of 1,000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_and_text_are_not_images()
    {
        var random = new byte[5000];
        new Random(3).NextBytes(random);
        random[0] = 0; // a random 0xFF 0xD8 or 0x89 'P' start would be a (corrupt) JPEG or PNG

        AssertRejected(random, InvalidImageReason.NotAnImage, "not a JPEG or PNG image");
        AssertRejected("just some notes"u8.ToArray(), InvalidImageReason.NotAnImage, "not a JPEG or PNG image");
    }

    [Fact]
    public void Gif_and_bmp_are_unsupported_formats()
    {
        using var image = new Image<Rgb24>(64, 48);
        AssertRejected(TestImages.Encode(image, new GifEncoder()), InvalidImageReason.UnsupportedFormat, "GIF image, not a JPEG or PNG image");
        AssertRejected(TestImages.Encode(image, new BmpEncoder()), InvalidImageReason.UnsupportedFormat, "BMP image, not a JPEG or PNG image");
    }

    [Fact]
    public void Truncated_jpeg_is_corrupt()
    {
        var bytes = File.ReadAllBytes(TestData.Images("train", "PNEUMONIA", 1)[0]);

        AssertRejected(bytes[..(bytes.Length / 2)], InvalidImageReason.Corrupt, "truncated or damaged");
    }

    [Fact]
    public void Truncated_png_is_corrupt()
    {
        var (_, png8) = TestImages.GreyPngPair(400, 300);

        AssertRejected(png8[..(png8.Length / 2)], InvalidImageReason.Corrupt, "truncated or damaged");
    }

    [Fact]
    public void Png_whose_chunk_claims_more_bytes_than_the_file_holds_is_corrupt_even_with_all_its_rows()
    {
        // libpng stops after the last row, so the lie is only seen by walking the chunks (found by the reliability suite).
        var png = CraftedImages.PngClaiming(64, 64);
        using (var whole = _decoder.DecodeGrey(png))
        {
            Assert.Equal((64, 64), (whole.Width, whole.Height));
        }

        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(png.AsSpan().IndexOf("IDAT"u8) - 4), int.MaxValue);

        AssertRejected(png, InvalidImageReason.Corrupt, "do not reach an IEND chunk");
    }

    [Fact]
    public void Png_claiming_30000_square_is_refused_from_its_header()
    {
        var bomb = CraftedImages.PngClaiming(30_000, 30_000);
        Assert.True(bomb.Length < 1000);

        var (error, allocated) = Measure(() => _decoder.DecodeGrey(bomb));

        Assert.Equal(InvalidImageReason.TooManyPixels, error.Reason);
        Assert.Contains("image is 30000 x 30000 pixels, over the limit of 40,000,000 pixels", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1_000_000, $"{allocated:N0} bytes allocated");
    }

    [Fact]
    public void Jpeg_whose_frame_header_claims_60000_square_is_refused_from_its_header()
    {
        var real = File.ReadAllBytes(TestData.Images("train", "NORMAL", 1)[0]);
        var bomb = CraftedImages.JpegClaiming(real, 60_000, 60_000);

        var (error, allocated) = Measure(() => _decoder.DecodeGrey(bomb));

        Assert.Equal(InvalidImageReason.TooManyPixels, error.Reason);
        Assert.Contains("image is 60000 x 60000 pixels", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 1_000_000, $"{allocated:N0} bytes allocated");
    }

    [Fact]
    public void Side_over_the_limit_is_refused_even_with_few_pixels()
    {
        var decoder = new XrayImageDecoder(new ImageLimits(MaxSide: 1000));

        var error = Assert.Throws<InvalidImageException>(() => decoder.DecodeGrey(CraftedImages.PngClaiming(1001, 10)));

        Assert.Equal(InvalidImageReason.TooManyPixels, error.Reason);
    }

    [Fact]
    public void Limits_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayImageDecoder(new ImageLimits(MaxPixels: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayImageDecoder(new ImageLimits(MaxFileBytes: -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayImageDecoder(new ImageLimits(MinSide: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayImageDecoder(new ImageLimits(MinSide: 2000, MaxSide: 1000)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayImageDecoder(new ImageLimits(MaxAspectRatio: 0.9)));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(63, 400)]
    [InlineData(400, 63)]
    public void An_image_with_a_side_under_the_minimum_is_too_small_to_be_a_film(int width, int height)
    {
        // A grey 1x1 JPEG was once classified PNEUMONIA with probability 0.999998 and accepted into the training set.
        var error = Assert.Throws<InvalidImageException>(() => _decoder.DecodeGrey(TestImages.HalfBlackHalfWhite(width, height, new JpegEncoder())));

        Assert.Equal(InvalidImageReason.TooSmall, error.Reason);
        Assert.Contains($"The image is {width} x {height} pixels, under the minimum of 64 pixels a side", error.Message, StringComparison.Ordinal);
        Assert.Contains("original resolution", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(64, 192, false)]
    [InlineData(193, 64, true)]
    [InlineData(1000, 300, true)]
    [InlineData(301, 1000, true)]
    [InlineData(1000, 334, false)]
    public void The_aspect_ratio_is_at_most_three_to_one_either_way(int width, int height, bool refused)
    {
        var file = TestImages.HalfBlackHalfWhite(width, height, new JpegEncoder());
        if (!refused)
        {
            using var image = _decoder.DecodeGrey(file);
            Assert.Equal((width, height), (image.Width, image.Height));
            return;
        }

        var error = Assert.Throws<InvalidImageException>(() => _decoder.DecodeGrey(file));
        Assert.Equal(InvalidImageReason.ExtremeAspectRatio, error.Reason);
        Assert.Contains("over the limit of 3:1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Size_and_shape_are_judged_from_the_header_before_decoding()
    {
        // A PNG whose header claims 10 x 5,000 (a few hundred bytes): refused for its shape, not decoded.
        var (error, allocated) = Measure(() => _decoder.DecodeGrey(CraftedImages.PngClaiming(10, 5_000)));

        Assert.Equal(InvalidImageReason.TooSmall, error.Reason);
        Assert.True(allocated < 1_000_000, $"{allocated:N0} bytes allocated");
    }

    [Fact]
    public void One_decoder_serves_many_threads()
    {
        var files = TestData.Images("test", "NORMAL", 16).Select(File.ReadAllBytes).ToList();
        var expected = files.Select(Pixels).ToList();

        var results = new byte[files.Count][];
        Parallel.For(0, files.Count * 4, i => results[i % files.Count] = Pixels(files[i % files.Count]));

        Assert.Equal(expected, results);
    }

    private byte[] Pixels(byte[] file)
    {
        using var image = _decoder.DecodeGrey(file);
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private void AssertRejected(byte[] bytes, InvalidImageReason reason, string messagePart)
    {
        var error = Assert.Throws<InvalidImageException>(() => _decoder.DecodeGrey(bytes));
        Assert.Equal(reason, error.Reason);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }

    // Allocation, not time: a refusal from the header allocates next to nothing, a decode of the claimed size gigabytes.
    private static (InvalidImageException Error, long Allocated) Measure(Func<Image<L8>> decode)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidImageException>(() => decode().Dispose());
        return (error, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
