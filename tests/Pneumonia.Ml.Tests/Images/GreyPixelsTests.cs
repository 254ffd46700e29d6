using Pneumonia.Ml.Images;

namespace Pneumonia.Ml.Tests.Images;

public sealed class GreyPixelsTests
{
    [Theory]
    [InlineData(2500, 2000, 320)] // a 16-bit PNG's size: factor 6, rows longer than any vector
    [InlineData(643, 701, 100)] // odd sizes: leftover columns and rows, a row length no vector width divides
    [InlineData(37, 90, 2)] // factor 18 on a narrow picture: rows shorter than one vector
    [InlineData(300, 300, 1)] // factor 300: each output pixel one block of 90,000
    public void Reducing_gives_each_block_its_rounded_mean(int width, int height, int minimumSide)
    {
        var pixels = new byte[width * height];
        new Random(width + height).NextBytes(pixels);
        var factor = Math.Min(width, height) / minimumSide;

        var reduced = new GreyPixels(pixels, width, height).ReduceTo(minimumSide);

        Assert.Equal((width / factor, height / factor), (reduced.Width, reduced.Height));
        for (var y = 0; y < reduced.Height; y++)
        {
            for (var x = 0; x < reduced.Width; x++)
            {
                long sum = 0;
                for (var dy = 0; dy < factor; dy++)
                    for (var dx = 0; dx < factor; dx++)
                        sum += pixels[((y * factor) + dy) * width + (x * factor) + dx];
                var count = (long)factor * factor;
                Assert.Equal((byte)((sum + (count / 2)) / count), reduced.Pixels[(y * reduced.Width) + x]);
            }
        }
    }
}
