using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Pneumonia.Grains.Dataset;
using Pneumonia.Grains.Models;

namespace Pneumonia.Grains.Tests;

/// <summary>Grain state written by an earlier version (see StoredState/README.md) still loads into today's types.</summary>
public sealed class StoredStateTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly ImageRecord Labelled = new(new string('a', 64), ImageLabel.Pneumonia, ImageSplit.Validation, "batch-1", "x.jpeg", 1234, 224, 200, "person1", At);
    private static readonly ImageRecord Unlabelled = new(new string('b', 64), null, ImageSplit.Train, "batch-1", "y.png", 99, 10, 20, "IM-0001", At);
    private static readonly ImageRecord NormalTest = new(new string('c', 64), ImageLabel.Normal, ImageSplit.Test, "kermany", "z.jpeg", 5, 1, 2, "NORMAL2-IM-1", At);

    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(DatasetState).Assembly).AddAssembly(typeof(UploadBatch).Assembly))
        .BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Image_state_of_the_earlier_version_loads()
    {
        Assert.Equal(Labelled, Read<ImageState>("image").Record);
        Assert.Equal(Unlabelled, Read<ImageState>("image-unlabelled").Record);
    }

    [Fact]
    public void Upload_batch_state_of_the_earlier_version_loads()
    {
        var state = Read<UploadBatchState>("batch");

        Assert.Equal([Labelled, Unlabelled, NormalTest], state.Images);
        var file = Assert.Single(state.Batch!.Files);
        Assert.Equal(new UploadFileResult("x.jpeg", UploadFileStatus.Accepted, Labelled.Sha256, ImageLabel.Pneumonia, null, 0.75, true), file);
    }

    [Fact]
    public void Dataset_state_of_the_earlier_version_loads_with_its_journalled_batch()
    {
        var state = Read<DatasetState>("dataset");

        Assert.Equal(
            [new SplitLabelCount(ImageSplit.Validation, ImageLabel.Pneumonia, 1, 1234), new SplitLabelCount(ImageSplit.Train, null, 1, 99), new SplitLabelCount(ImageSplit.Test, ImageLabel.Normal, 1, 5)],
            state.Counts);
        Assert.Equal([NormalTest, Labelled], state.Sample);
        Assert.Equal(new GateMember(NormalTest.Sha256, ImageLabel.Normal, "kermany"), Assert.Single(state.Gate));
        Assert.True(state.RowCountersBuilt);
        // The journal's candidates were written as List`1[[pneumonia.ImageRecord]]: the type name must still resolve.
        var pending = state.Pending!;
        Assert.Equal(("batch-2", "batch-2"), (pending.BatchId, pending.Source));
        Assert.Equal([Labelled, Unlabelled], pending.Candidates);
        Assert.Equal(new UploadFileResult("bad.txt", UploadFileStatus.Rejected, null, ImageLabel.Normal, "not an image"), Assert.Single(pending.Rejected));
    }

    [Fact]
    public void Model_version_state_of_the_earlier_version_loads_its_card_json_as_a_typed_card()
    {
        var info = Read<ModelVersionState>("version").Info!;

        // version.b64 holds the card the bundled model had then, without its out-of-distribution detector and int8
        // activation ranges (see README.md); version-card.json is that card as written.
        var written = ModelCardJson.Deserialize(File.ReadAllText(StoredStatePath("version-card.json")));
        Assert.Equal(("bundled-v1", "bundled", 0.42), (info.Version, info.Directory, info.Threshold));
        Assert.Equal(written.Version, info.Card.Version);
        Assert.Equal(written.Validation.RocCurve, info.Card.Validation.RocCurve);
        Assert.Equal(ModelCardJson.Serialize(written), ModelCardJson.Serialize(info.Card));
    }

    [Fact]
    public void Model_versions_round_trip_with_their_card_and_stay_equal()
    {
        var serializer = _services.GetRequiredService<Serializer>();
        var info = Read<ModelVersionState>("version").Info!;

        var again = serializer.Deserialize<ModelVersionState>(serializer.SerializeToArray(new ModelVersionState { Info = info }))!.Info!;

        Assert.NotSame(info.Card, again.Card);
        Assert.Equal(info, again);
        Assert.NotEqual(info, again with { Card = again.Card with { ThresholdRule = "another rule" } });
        Assert.Same(info.Card, _services.GetRequiredService<DeepCopier>().Copy(info.Card));
    }

    [Fact]
    public void Image_records_round_trip_and_are_not_copied()
    {
        var serializer = _services.GetRequiredService<Serializer>();
        var state = new UploadBatchState { Images = [Labelled, Unlabelled] };

        Assert.Equal(state.Images, serializer.Deserialize<UploadBatchState>(serializer.SerializeToArray(state))!.Images);
        Assert.Same(Labelled, _services.GetRequiredService<DeepCopier>().Copy(Labelled));
    }

    [Fact]
    public void Shared_types_are_written_under_the_names_the_earlier_version_reads()
    {
        var types = _services.GetRequiredService<Orleans.Serialization.TypeSystem.TypeConverter>();

        Assert.Equal("pneumonia.ImageRecord", types.Format(typeof(ImageRecord)));
        Assert.Equal("pneumonia.ImageLabel", types.Format(typeof(ImageLabel)));
        Assert.Equal("pneumonia.ImageSplit", types.Format(typeof(ImageSplit)));
        Assert.Equal(typeof(List<ImageRecord>), types.Parse("System.Collections.Generic.List`1[[pneumonia.ImageRecord]]"));
    }

    private T Read<T>(string name)
    {
        var bytes = Convert.FromBase64String(File.ReadAllText(StoredStatePath(name + ".b64")));
        return _services.GetRequiredService<Serializer>().Deserialize<T>(bytes) ?? throw new InvalidDataException($"{name}.b64 holds null");
    }

    private static string StoredStatePath(string fileName) => Path.Combine(TestData.RepositoryRoot, "tests", "Pneumonia.Grains.Tests", "StoredState", fileName);
}
