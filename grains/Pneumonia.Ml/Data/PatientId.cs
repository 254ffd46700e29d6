using System.Text.RegularExpressions;

namespace Pneumonia.Ml.Data;

/// <summary>Derives the patient an image belongs to from its file name in the Kermany data set.</summary>
public static partial class PatientId
{
    /// <summary>
    /// <c>person1946_bacteria_4874.jpeg</c> -> <c>person1946</c>; <c>IM-0115-0001.jpeg</c> and
    /// <c>IM-0429-0001-0002.jpeg</c> -> <c>IM-0115</c>, <c>IM-0429</c>; <c>NORMAL2-IM-1427-0001.jpeg</c> ->
    /// <c>NORMAL2-IM-1427</c>; any other name is its own patient: the name without its extension.
    /// </summary>
    /// <remarks>
    /// The <c>NORMAL2-</c> prefix is kept because the NORMAL2 images are numbered apart from the IM images.
    /// <c>personN</c> ignores the infection type, which groups more coarsely than needed if the bacteria and virus
    /// images are numbered apart; coarser groups never leak a patient across splits.
    /// </remarks>
    public static string FromFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var name = Path.GetFileNameWithoutExtension(fileName);
        var match = KnownPattern().Match(name);
        return match.Success ? match.Groups["patient"].Value : name;
    }

    /// <summary>Whether the file name follows one of the Kermany patterns, i.e. names a patient rather than only itself.</summary>
    public static bool IsRecognised(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return KnownPattern().IsMatch(Path.GetFileNameWithoutExtension(fileName));
    }

    [GeneratedRegex(@"^(?<patient>person\d+)_(?:bacteria|virus)_\d+(?:_\d+)?$|^(?<patient>(?:NORMAL\d+-)?IM-\d+)(?:-\d+)+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KnownPattern();
}
