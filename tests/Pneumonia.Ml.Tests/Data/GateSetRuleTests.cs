using Pneumonia.Ml.Data;

namespace Pneumonia.Ml.Tests.Data;

public sealed class GateSetRuleTests
{
    [Fact]
    public void Membership_is_stable_per_group_and_holds_out_about_the_fraction()
    {
        var rule = new GateSetRule(0.15);
        var groups = Enumerable.Range(0, 4000).Select(i => $"patient:person{i}").ToList();

        var members = groups.Count(g => rule.IsMember(ImageSplit.Train, g, patientHasTestImages: false));

        Assert.InRange(members / 4000.0, 0.13, 0.17);
        Assert.All(groups, g => Assert.Equal(rule.IsMember(ImageSplit.Train, g, false), new GateSetRule(0.15).IsMember(ImageSplit.Train, g, false)));
        // A larger fraction keeps every member of a smaller one: raising it never moves an image back into training.
        Assert.All(groups.Where(g => rule.IsMember(ImageSplit.Train, g, false)), g => Assert.True(new GateSetRule(0.3).IsMember(ImageSplit.Train, g, false)));
    }

    [Fact]
    public void Only_training_images_of_patients_without_test_images_can_join()
    {
        var rule = new GateSetRule(0.5);
        var member = Enumerable.Range(0, 100).Select(i => $"patient:p{i}").First(g => rule.IsMember(ImageSplit.Train, g, false));

        Assert.False(rule.IsMember(ImageSplit.Test, member, false));
        Assert.False(rule.IsMember(ImageSplit.Validation, member, false));
        Assert.False(rule.IsMember(ImageSplit.Train, member, patientHasTestImages: true));
    }

    [Theory]
    [InlineData("person1946_bacteria_4874.jpeg", "person1946", "patient:person1946")]
    [InlineData("NORMAL/IM-0115-0001.jpeg", "IM-0115", "patient:IM-0115")]
    [InlineData("scan-from-ward-3.png", "scan-from-ward-3", "batch:upload-7")]
    public void Images_are_grouped_by_patient_where_the_name_says_so_else_by_batch(string name, string patientId, string group)
    {
        Assert.Equal(patientId, PatientId.FromFileName(name));
        Assert.Equal(group, GateSetRule.GroupOf(name, patientId, "upload-7"));
    }
}
