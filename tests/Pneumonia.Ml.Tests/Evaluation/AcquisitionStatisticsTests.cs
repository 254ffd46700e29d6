using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class AcquisitionStatisticsTests
{
    private static readonly XrayImageDecoder s_decoder = new();

    [Fact]
    public void The_statistics_of_a_half_black_half_white_film_are_its_exposure_its_border_and_its_one_edge()
    {
        using var image = new Image<L8>(128, 96);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++) row[x] = new L8(x < 64 ? (byte)0 : (byte)255);
            }
        });

        var statistics = AcquisitionStatistics.Of(image);

        Assert.Equal(AcquisitionStatistics.Names.Count, statistics.Length);
        Assert.Equal(127.5, statistics[0], 1e-9); // mean
        Assert.Equal(127.5, statistics[1], 1e-9); // standard deviation
        Assert.Equal(new double[] { 0, 0, 255, 255, 255 }, statistics[2..7]); // percentiles 5-95: the 50th is the upper middle pixel
        Assert.Equal(0.5, statistics[7], 1e-9); // share below 16
        Assert.Equal(0.5, statistics[8], 1e-9); // share above 240
        // One 255 step across each of the 64 rows, none down: 64 * 255 over 2 * 64 * 63 neighbour pairs.
        Assert.Equal(64 * 255 / (2.0 * 64 * 63), statistics[9], 1e-9);
    }

    [Fact]
    public void Films_exposed_unlike_the_reference_are_farther_from_it_than_fresh_films_exposed_alike()
    {
        var reference = AcquisitionStatistics.Fit(
            [.. TestData.Images("train", "NORMAL", 30).Concat(TestData.Images("train", "PNEUMONIA", 30)).Select(path => StatisticsOf(path))]);
        var fresh = TestData.Images("test", "NORMAL", 10).Concat(TestData.Images("test", "PNEUMONIA", 10)).ToList();

        var typical = fresh.Select(path => reference.Distance(StatisticsOf(path))).ToList();
        var darkened = fresh.Select(path => reference.Distance(StatisticsOf(path, context => context.Brightness(0.5f)))).ToList();
        var blurred = fresh.Select(path => reference.Distance(StatisticsOf(path, context => context.GaussianBlur(3)))).ToList();

        // Every changed film is farther than the typical fresh film (the median), and each one farther than itself unchanged.
        var median = typical.Order().ElementAt(typical.Count / 2);
        Assert.All(darkened.Concat(blurred), distance => Assert.True(distance > median, $"{distance:0.00} vs median {median:0.00}"));
        Assert.All(Enumerable.Range(0, fresh.Count), i => Assert.True(darkened[i] > typical[i] && blurred[i] > typical[i]));
    }

    [Fact]
    public void The_most_atypical_share_is_taken_in_each_class_rounded_up_and_returned_in_position_order()
    {
        //                      0     1     2     3     4     5     6
        double[] distances = [5.0, 1.0, 9.0, 2.0, 7.0, 3.0, 3.0];
        bool[] labels = [true, true, true, false, false, false, false];

        // A third of 3 pneumonia films is 1 (position 2); of 4 normal films, 2 (positions 4, then 5 before 6 on a tie).
        Assert.Equal([2, 4, 5], AcquisitionStatistics.MostAtypical(distances, labels, 1 / 3.0));
        Assert.Equal(Enumerable.Range(0, 7), AcquisitionStatistics.MostAtypical(distances, labels, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AcquisitionStatistics.MostAtypical(distances, labels, 0));
        Assert.Throws<ArgumentException>(() => AcquisitionStatistics.MostAtypical(distances, labels[..6], 0.5));
    }

    [Fact]
    public void Fitting_needs_more_reference_films_than_statistics()
    {
        var tooFew = Enumerable.Range(0, AcquisitionStatistics.Names.Count).Select(i => Enumerable.Repeat((double)i, AcquisitionStatistics.Names.Count).ToArray()).ToList();
        var error = Assert.Throws<ArgumentException>(() => AcquisitionStatistics.Fit(tooFew));
        Assert.Contains("too few", error.Message, StringComparison.Ordinal);
    }

    private static double[] StatisticsOf(string path, Action<IImageProcessingContext>? change = null)
    {
        using var image = s_decoder.DecodeGrey(File.ReadAllBytes(path), AcquisitionStatistics.Side);
        if (change is not null) image.Mutate(change);
        return AcquisitionStatistics.Of(image);
    }
}
