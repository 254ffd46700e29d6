using System.Text.Json;
using Pneumonia.Ml.Images;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;

namespace Pneumonia.Ml.Tests.Images;

public sealed class XrayPreprocessorTests
{
    private readonly XrayImageDecoder _decoder = new();

    [Fact]
    public void Real_224_image_is_copied_without_resizing()
    {
        var preprocessor = new XrayPreprocessor(PreprocessingParameters.Default, _decoder);
        var file = File.ReadAllBytes(TestData.Images("val", "PNEUMONIA", 1)[0]);
        using var image = _decoder.DecodeGrey(file);
        var expected = new byte[224 * 224];
        image.CopyPixelDataTo(expected);

        Assert.Equal(expected, preprocessor.LoadModelPixels(file));
    }

    [Theory]
    [InlineData(2000, 1500, PreprocessingParameters.Triangle)]
    [InlineData(1500, 2000, PreprocessingParameters.Bicubic)]
    [InlineData(100, 80, PreprocessingParameters.Triangle)]
    public void Any_size_becomes_input_size_squared(int width, int height, string resampler)
    {
        var preprocessor = new XrayPreprocessor(new PreprocessingParameters { Resampler = resampler }, _decoder);

        Assert.Equal(224 * 224, preprocessor.LoadModelPixels(TestImages.ColourJpeg(width, height)).Length);
    }

    [Fact]
    public void Wide_image_is_squashed_not_letterboxed_or_cropped()
    {
        var preprocessor = new XrayPreprocessor(new PreprocessingParameters { InputSize = 64 }, _decoder);

        var pixels = preprocessor.LoadModelPixels(TestImages.HalfBlackHalfWhite(900, 300, new PngEncoder()));

        // Every row, the top and bottom included, is half black and half white: no padding bands, nothing cut.
        for (var row = 0; row < 64; row++)
        {
            Assert.True(pixels[(row * 64) + 2] < 8, $"row {row} left");
            Assert.True(pixels[(row * 64) + 61] > 247, $"row {row} right");
        }
    }

    [Fact]
    public void Sixteen_bit_png_preprocesses_like_its_8_bit_version()
    {
        var preprocessor = new XrayPreprocessor(PreprocessingParameters.Default, _decoder);
        var (png16, png8) = TestImages.GreyPngPair(2000, 1500);

        var wide = preprocessor.LoadModelPixels(png16);
        var narrow = preprocessor.LoadModelPixels(png8);

        Assert.True(wide.Zip(narrow).All(pair => Math.Abs(pair.First - pair.Second) <= 1));
    }

    [Fact]
    public void ToModelPixels_leaves_the_image_unchanged()
    {
        var preprocessor = new XrayPreprocessor(PreprocessingParameters.Default, _decoder);
        using var image = _decoder.DecodeGrey(TestImages.HalfBlackHalfWhite(640, 480, new JpegEncoder()));

        preprocessor.ToModelPixels(image);

        Assert.Equal((640, 480), (image.Width, image.Height));
    }

    [Fact]
    public void Resamplers_differ_and_unknown_ones_are_refused()
    {
        var file = TestImages.ColourJpeg(1200, 900);
        var triangle = new XrayPreprocessor(PreprocessingParameters.Default, _decoder).LoadModelPixels(file);
        var bicubic = new XrayPreprocessor(new PreprocessingParameters { Resampler = "Bicubic" }, _decoder).LoadModelPixels(file);

        Assert.NotEqual(triangle, bicubic);
        Assert.Throws<ArgumentException>(() => new XrayPreprocessor(new PreprocessingParameters { Resampler = "Lanczos3" }, _decoder));
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayPreprocessor(new PreprocessingParameters { InputSize = 0 }, _decoder));
    }

    [Fact]
    public void Parameters_round_trip_through_json()
    {
        var parameters = new PreprocessingParameters { InputSize = 160, Resampler = PreprocessingParameters.Bicubic };

        var json = JsonSerializer.Serialize(parameters);

        Assert.Equal("""{"InputSize":160,"Resampler":"Bicubic","Version":1}""", json);
        Assert.Equal(parameters, JsonSerializer.Deserialize<PreprocessingParameters>(json));
        Assert.Equal(new PreprocessingParameters { InputSize = 224, Resampler = "Triangle", Version = 1 }, PreprocessingParameters.Default);
    }

    [Fact]
    public void Invalid_files_surface_as_invalid_image_exception()
    {
        var preprocessor = new XrayPreprocessor(PreprocessingParameters.Default, _decoder);

        Assert.Throws<InvalidImageException>(() => preprocessor.LoadModelPixels([1, 2, 3]));
    }
}
