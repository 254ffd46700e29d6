using System.Text.RegularExpressions;
using Pneumonia.Ml.Data;
using Xunit.Abstractions;

namespace Pneumonia.Ml.Tests.Data;

public sealed class PatientIdTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("person1946_bacteria_4874.jpeg", "person1946")]
    [InlineData("person1_virus_6.jpeg", "person1")]
    [InlineData("IM-0115-0001.jpeg", "IM-0115")]
    [InlineData("IM-0429-0001-0002.jpeg", "IM-0429")]
    [InlineData("NORMAL2-IM-1427-0001.jpeg", "NORMAL2-IM-1427")]
    [InlineData("train/NORMAL/IM-0115-0001.jpeg", "IM-0115")]
    [InlineData("scan 2024-01-03.png", "scan 2024-01-03")]
    [InlineData("person_unknown.jpeg", "person_unknown")]
    public void Derives_patient_from_file_name(string fileName, string expected)
    {
        Assert.Equal(expected, PatientId.FromFileName(fileName));
    }

    [Fact]
    public void Every_file_of_the_data_set_matches_a_known_pattern()
    {
        var names = File.ReadLines(Path.Combine(TestData.ChestXrayRoot, "manifest.csv")).Skip(1)
            .Select(line => Path.GetFileName(line.Split(',')[0]))
            .ToList();

        var unmatched = names.Where(name => PatientId.FromFileName(name) == Path.GetFileNameWithoutExtension(name)).ToList();
        foreach (var pattern in names.CountBy(name => Regex.Replace(name, "[0-9]+", "N")).OrderByDescending(pair => pair.Value))
        {
            output.WriteLine($"{pattern.Value,5} {pattern.Key}");
        }

        Assert.Equal(5856, names.Count);
        Assert.Empty(unmatched);
    }
}
