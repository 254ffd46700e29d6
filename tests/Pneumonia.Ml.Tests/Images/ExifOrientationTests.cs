using Pneumonia.Ml.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Tests.Images;

/// <summary>
/// Files whose pixels are stored turned or mirrored, with the EXIF orientation tag (written by ImageSharp) saying how
/// to display them, as cameras and phone scans produce them. Made in the test from a real X-ray cropped to a
/// non-square, asymmetric picture, so every wrong orientation gives other pixels or other dimensions.
/// </summary>
public sealed class ExifOrientationTests
{
    private const int Width = 200;
    private const int Height = 150;

    private static readonly byte[] Upright = UprightXray();

    private readonly XrayImageDecoder _decoder = new();

    public static TheoryData<int> Orientations => [1, 2, 3, 4, 5, 6, 7, 8];

    [Theory]
    [MemberData(nameof(Orientations))]
    public void A_png_stored_in_any_orientation_decodes_to_the_upright_picture(int orientation)
    {
        var file = Stored(orientation, new PngEncoder { ColorType = PngColorType.Grayscale });

        Assert.Equal(orientation, ExifOrientation.Read(file));
        using var image = _decoder.DecodeGrey(file);

        Assert.Equal((Width, Height), (image.Width, image.Height));
        Assert.Equal(Upright, PixelsOf(image));
    }

    [Theory]
    [MemberData(nameof(Orientations))]
    public void A_jpeg_stored_in_any_orientation_decodes_to_the_upright_picture(int orientation)
    {
        var file = Stored(orientation, new JpegEncoder { Quality = 95, ColorType = JpegColorType.Luminance });

        Assert.Equal(orientation, ExifOrientation.Read(file));
        using var image = _decoder.DecodeGrey(file);

        Assert.Equal((Width, Height), (image.Width, image.Height));
        // JPEG is lossy (and its 8x8 blocks fall elsewhere once turned): close to the upright picture, and far closer
        // than the same stored pixels read without their orientation would be.
        var difference = MeanAbsoluteDifference(Upright, PixelsOf(image));
        Assert.True(difference < 2.5, $"mean difference {difference:F2} grey levels");
    }

    [Fact]
    public void Each_non_trivial_orientation_changes_the_pixels_so_the_tests_above_can_fail()
    {
        for (var orientation = 2; orientation <= 8; orientation++)
        {
            var (stored, width, height) = StoredPixels(orientation);
            Assert.True((width, height) != (Width, Height) || MeanAbsoluteDifference(Upright, stored) > 10, $"orientation {orientation}");
        }
    }

    [Fact]
    public void The_predictor_and_its_heatmap_see_an_orientation_6_image_as_displayed()
    {
        using var predictor = PneumoniaPredictor.Load(Path.Combine(TestData.RepositoryRoot, "models", "bundled"), _decoder);
        var path = Path.Combine(TestData.ChestXrayRoot, "test", "PNEUMONIA", "person100_bacteria_475.jpeg");
        using var upright = Image.Load<L8>(File.ReadAllBytes(path));
        var turned = Encode(upright.Clone(c => c.Rotate(RotateMode.Rotate270)), 6, new PngEncoder());
        var plain = Encode(upright.Clone(c => c.Rotate(RotateMode.Rotate270)), ExifOrientation.Normal, new PngEncoder());
        var original = Encode(upright.Clone(), ExifOrientation.Normal, new PngEncoder());

        var expected = predictor.Predict(original);
        var asDisplayed = predictor.Predict(turned);
        var (withHeatmap, _) = predictor.PredictWithHeatmap(turned);
        var asStored = predictor.Predict(plain);

        Assert.Equal(expected.Probability, asDisplayed.Probability, 6);
        Assert.Equal(expected.Probability, withHeatmap.Probability, 4);
        Assert.NotEqual(expected.Probability, asStored.Probability, 3);
    }

    [Fact]
    public void Damaged_exif_blocks_read_as_no_orientation_without_throwing()
    {
        var file = Stored(6, new JpegEncoder { Quality = 90 });
        var random = new Random(13);
        for (var i = 0; i < 2000; i++)
        {
            var damaged = (byte[])file.Clone();
            // Overwrite a few bytes of the header region (where the Exif segment is), sometimes cut the file there.
            for (var j = 0; j < 1 + random.Next(4); j++)
            {
                damaged[random.Next(Math.Min(200, damaged.Length))] = (byte)random.Next(256);
            }

            var cut = i % 5 == 0 ? damaged[..random.Next(2, 200)] : damaged;
            Assert.InRange(ExifOrientation.Read(cut), 1, 8);
        }
    }

    [Fact]
    public void An_exif_segment_whose_entry_count_and_offsets_point_outside_the_file_is_ignored()
    {
        // APP1 "Exif": a big-endian TIFF header whose IFD claims 65535 entries in a 20-byte segment.
        byte[] app1Body = [.. "Exif\0\0"u8, .. "MM\0*"u8, 0, 0, 0, 8, 0xFF, 0xFF, 0x01, 0x12, 0, 3];
        byte[] file = [0xFF, 0xD8, 0xFF, 0xE1, 0, (byte)(app1Body.Length + 2), .. app1Body, 0xFF, 0xD9];
        Assert.Equal(ExifOrientation.Normal, ExifOrientation.Read(file));

        // A segment length running past the end of the file.
        Assert.Equal(ExifOrientation.Normal, ExifOrientation.Read([0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xF0, .. "Exif\0\0"u8]));
    }

    // The displayed picture: a real X-ray, cropped off-centre to a non-square size.
    private static byte[] UprightXray()
    {
        var path = Path.Combine(TestData.ChestXrayRoot, "test", "NORMAL", "IM-0001-0001.jpeg");
        using var image = Image.Load<L8>(File.ReadAllBytes(path));
        image.Mutate(c => c.Crop(new Rectangle(10, 40, Width, Height)));
        return PixelsOf(image);
    }

    // Stored pixels S for orientation o, written from the EXIF definition of where stored row 0 and column 0 go on
    // screen (independent of the decoder's rotate/flip calls): D is the displayed picture, w x h.
    private static (byte[] Pixels, int Width, int Height) StoredPixels(int orientation)
    {
        var transposed = orientation >= 5;
        var (sw, sh) = transposed ? (Height, Width) : (Width, Height);
        var stored = new byte[sw * sh];
        for (var y = 0; y < sh; y++)
        {
            for (var x = 0; x < sw; x++)
            {
                var (dx, dy) = orientation switch
                {
                    1 => (x, y),
                    2 => (Width - 1 - x, y),
                    3 => (Width - 1 - x, Height - 1 - y),
                    4 => (x, Height - 1 - y),
                    5 => (y, x),
                    6 => (Width - 1 - y, x),
                    7 => (Width - 1 - y, Height - 1 - x),
                    _ => (y, Height - 1 - x),
                };
                stored[(y * sw) + x] = Upright[(dy * Width) + dx];
            }
        }

        return (stored, sw, sh);
    }

    private static byte[] Stored(int orientation, IImageEncoder encoder)
    {
        var (pixels, width, height) = StoredPixels(orientation);
        return Encode(Image.LoadPixelData<L8>(pixels, width, height), orientation, encoder);
    }

    // Takes ownership of the image.
    private static byte[] Encode(Image<L8> image, int orientation, IImageEncoder encoder)
    {
        using (image)
        {
            if (orientation != ExifOrientation.Normal)
            {
                image.Metadata.ExifProfile = new ExifProfile();
                image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)orientation);
            }

            using var stream = new MemoryStream();
            image.Save(stream, encoder);
            return stream.ToArray();
        }
    }

    private static byte[] PixelsOf(Image<L8> image)
    {
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b) => a.Zip(b).Average(p => Math.Abs(p.First - p.Second));
}
