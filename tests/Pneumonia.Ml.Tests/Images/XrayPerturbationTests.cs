using Pneumonia.Ml.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pneumonia.Ml.Tests.Images;

public sealed class XrayPerturbationTests
{
    private static readonly byte[] Xray = File.ReadAllBytes(Path.Combine(TestData.ChestXrayRoot, "test", "NORMAL", "IM-0001-0001.jpeg"));

    [Fact]
    public void The_robustness_suite_is_the_table_of_issue_13_in_order()
    {
        Assert.Equal(
            ["clean", "Gaussian noise sigma 4", "Gaussian noise sigma 8", "JPEG quality 30", "rotation -7 degrees", "rotation +7 degrees",
             "zoom in 10%", "zoom out 8%", "brightness x0.8", "brightness x1.2", "contrast x0.8", "gamma 0.7", "horizontal flip"],
            XrayPerturbation.RobustnessSuite.Select(p => p.Name));
        Assert.All(XrayPerturbation.RobustnessSuite, p => p.Validate());
    }

    [Fact]
    public void Every_perturbation_keeps_the_size_leaves_the_input_alone_and_only_clean_keeps_the_pixels()
    {
        using var image = Decode();
        var before = Pixels(image);
        foreach (var perturbation in XrayPerturbation.RobustnessSuite)
        {
            using var perturbed = perturbation.Apply(image, seed: 3);
            Assert.Equal((image.Width, image.Height), (perturbed.Width, perturbed.Height));
            Assert.Equal(before, Pixels(image));
            var changed = MeanAbsoluteDifference(before, Pixels(perturbed));
            if (perturbation == XrayPerturbation.Clean) Assert.Equal(0, changed);
            else Assert.True(changed > 0.5, $"{perturbation.Name} changed the pixels by only {changed:F2} on average");
        }
    }

    [Fact]
    public void Noise_has_the_asked_standard_deviation_and_the_same_seed_gives_the_same_noise()
    {
        using var grey = new Image<L8>(300, 300, new L8(128));
        var perturbation = new XrayPerturbation(PerturbationKind.GaussianNoise, 8);
        using var first = perturbation.Apply(grey, seed: 1);
        using var again = perturbation.Apply(grey, seed: 1);
        using var other = perturbation.Apply(grey, seed: 2);

        var deviations = Pixels(first).Select(p => p - 128.0).ToArray();
        Assert.InRange(deviations.Average(), -0.2, 0.2);
        Assert.InRange(Math.Sqrt(deviations.Average(d => d * d)), 7.8, 8.2);
        Assert.Equal(Pixels(first), Pixels(again));
        Assert.NotEqual(Pixels(first), Pixels(other));
    }

    [Fact]
    public void Intensity_changes_follow_their_formulas()
    {
        using var image = Decode();
        var original = Pixels(image);
        var mean = original.Average(p => (double)p);

        AssertMapped(new(PerturbationKind.Brightness, 0.8), v => v * 0.8);
        AssertMapped(new(PerturbationKind.Brightness, 1.2), v => v * 1.2);
        AssertMapped(new(PerturbationKind.Contrast, 0.8), v => mean + ((v - mean) * 0.8));
        AssertMapped(new(PerturbationKind.Gamma, 0.7), v => 255 * Math.Pow(v / 255.0, 0.7));

        void AssertMapped(XrayPerturbation perturbation, Func<double, double> expected)
        {
            using var perturbed = perturbation.Apply(image);
            var actual = Pixels(perturbed);
            for (var i = 0; i < original.Length; i++)
            {
                Assert.Equal((byte)Math.Clamp(Math.Round(expected(original[i])), 0, 255), actual[i]);
            }
        }
    }

    [Fact]
    public void The_flip_mirrors_and_zooming_in_enlarges_a_centred_square()
    {
        using var image = Decode();
        using var flipped = new XrayPerturbation(PerturbationKind.HorizontalFlip).Apply(image);
        Assert.Equal(image[10, 20], flipped[image.Width - 11, 20]);

        // A white 100 x 100 square centred on black: 10% zoom in makes it 110 wide, 8% zoom out 92.
        using var square = new Image<L8>(400, 400, new L8(0));
        for (var y = 150; y < 250; y++)
            for (var x = 150; x < 250; x++)
                square[x, y] = new L8(255);
        Assert.InRange(WhiteWidth(new XrayPerturbation(PerturbationKind.Zoom, 1.10), square), 109, 111);
        Assert.InRange(WhiteWidth(new XrayPerturbation(PerturbationKind.Zoom, 0.92), square), 91, 93);

        static int WhiteWidth(XrayPerturbation zoom, Image<L8> image)
        {
            using var zoomed = zoom.Apply(image);
            return Enumerable.Range(0, zoomed.Width).Count(x => zoomed[x, 200].PackedValue > 127);
        }
    }

    [Fact]
    public void Rotating_by_7_degrees_turns_a_vertical_bar_by_7_degrees()
    {
        // A thin vertical white bar through the centre: after +7 degrees (clockwise) its top leans right.
        using var bar = new Image<L8>(401, 401, new L8(0));
        for (var y = 0; y < 401; y++)
            for (var x = 199; x <= 201; x++)
                bar[x, y] = new L8(255);

        using var rotated = new XrayPerturbation(PerturbationKind.Rotation, 7).Apply(bar);
        var top = Centre(rotated, 100);
        var bottom = Centre(rotated, 300);
        var degrees = Math.Atan2(top - bottom, 200) * 180 / Math.PI;
        Assert.InRange(degrees, 6.5, 7.5);

        static double Centre(Image<L8> image, int row) =>
            Enumerable.Range(0, image.Width).Where(x => image[x, row].PackedValue > 127).Average();
    }

    [Fact]
    public void Jpeg_30_adds_artefacts_and_downscaling_sets_the_shorter_side()
    {
        using var image = Decode();
        using var jpeg = new XrayPerturbation(PerturbationKind.Jpeg, 30).Apply(image);
        Assert.InRange(MeanAbsoluteDifference(Pixels(image), Pixels(jpeg)), 0.5, 6);

        using var wide = new Image<L8>(600, 300);
        using var small = new XrayPerturbation(PerturbationKind.Downscale, 64).Apply(wide);
        Assert.Equal((128, 64), (small.Width, small.Height));
    }

    [Fact]
    public void Nonsense_amounts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayPerturbation(PerturbationKind.Jpeg, 0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayPerturbation(PerturbationKind.Gamma, -1).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new XrayPerturbation(PerturbationKind.Zoom, 0).Validate());
    }

    private static Image<L8> Decode() => new XrayImageDecoder().DecodeGrey(Xray);

    private static byte[] Pixels(Image<L8> image)
    {
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels;
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b) => a.Zip(b).Average(p => Math.Abs(p.First - p.Second));
}
