using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Pneumonia.Grains.Training;

namespace Pneumonia.Grains.Tests;

/// <summary>Training jobs are persisted: state written by earlier versions of the contract must still load.</summary>
[Collection(GrainsClusterDefinition.Name)]
public sealed class TrainingJobStateCompatibilityTests(GrainsClusterFixture fixture)
{
    // A TrainingJobState as the Orleans serializer (the payload of every grain storage here) wrote it when
    // TrainingJobInfo was a 24-parameter positional record (plus Silo), before it took named properties.
    private const string PositionalRecordState =
        "ICDoQDVqb2ItMjAyNjExMzAtMTIwMDAwLWFiY2RlZiHoAA0BQQEDAQHgCQMJQQlkb25lIYAAoLt12U7fCIEAAAAAAAAAAOAhgIA2VHbZTt8IgQAAAAAAAAAA4CGAAP6LKNpO3wiBAAAAAAAAAADggQAAAAAAAFlAAQ0BMQExgQAAAAAAANA/gc3MzMzMzOw/gWZmZmZmZu4/gYAdLAQAAAAAQRNwYXJlbnQtdjFBEWNoaWxkLXYyAQFBW25vdCBwcm9tb3RlZDogYXNrZWQgdG8gbGVhdmUgcHJvZHVjdGlvbiBhbG9uZcEBMQHq1tIzb1JlYWRPbmx5TGlzdEludGVyZmFjZUNvZGVjYDFbW3BuZXVtb25pYS5UcmFpbmluZ0Vwb2NoXV0AAyHoAAWBAAAAAAAA4D+BmpmZmZmZ6T+BmpmZmZmZ2T+BzczMzMzM7D+BAAAAAAAAKUDg4MEBAXkBoUEjMTI3LjAuMC4xOjExMTExQDHg4A==";

    [Fact]
    public void A_job_written_by_the_positional_record_loads_with_every_field()
    {
        var serializer = fixture.Cluster.Services().GetRequiredService<Serializer>();
        var info = serializer.Deserialize<TrainingJobState>(Convert.FromBase64String(PositionalRecordState))!.Info!;

        var created = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(
            ("job-20261130-120000-abcdef", new RetrainRequest(3, 16, true, false), TrainingJobStatus.Completed, "done", created),
            (info.JobId, info.Request, info.Status, info.Phase, info.CreatedAt));
        Assert.Equal((created.AddSeconds(1), created.AddMinutes(5), 100.0, 3, 12, 12), (info.StartedAt, info.FinishedAt, info.Progress, info.Epoch, info.Batch, info.BatchesPerEpoch));
        Assert.Equal((0.25, 0.9, 0.95, TimeSpan.FromSeconds(7)), (info.Loss, info.Accuracy, info.ValidationAuc, info.Eta));
        Assert.Equal(("parent-v1", "child-v2", false, "not promoted: asked to leave production alone", (string?)null),
            (info.ParentVersion, info.ResultVersion, info.Promoted, info.PromotionReason, info.Error));
        Assert.Equal([new TrainingEpoch(1, 0.5, 0.8, 0.4, 0.9, 12.5)], info.History);
        Assert.Equal(((GateReport?)null, 30, 40, "127.0.0.1:11111@1"), (info.Gate, info.ImagesDone, info.ImagesTotal, info.Silo));
        Assert.True(info.IsFinished);
    }
}
