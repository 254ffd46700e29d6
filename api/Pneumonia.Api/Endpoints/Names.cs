namespace Pneumonia.Api.Endpoints;

/// <summary>Checks on identifiers that come from the URL before they become grain keys.</summary>
internal static class Names
{
    private const int MaxLength = 128;

    /// <summary>Model versions and job ids: 1-128 letters, digits, '-', '_' or '.'.</summary>
    public static bool IsValidKey(string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
