namespace Pneumonia.Api.Security;

/// <summary>
/// Refuses API keys a person would guess or type: short ones, ones with whitespace or control characters (header
/// values are trimmed, so a key of spaces locks everyone out), few distinct characters, little entropy, or mostly
/// runs such as "aaaa", "abcd" and "0123". The entropy is estimated from the key's own character frequencies
/// (Shannon bits per character times the length): a crude bound, enough to refuse what people type.
/// </summary>
internal static class ApiKeyStrength
{
    public const int MinLength = 16;
    public const int MinDistinctCharacters = 8;
    public const double MinEntropyBits = 64;

    /// <summary>Why <paramref name="key"/> is too weak, or null when it is strong enough. Never includes the key.</summary>
    public static string? Weakness(string key)
    {
        if (key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "it contains whitespace or control characters";
        }

        if (key.Length < MinLength)
        {
            return $"it has {key.Length} characters, fewer than {MinLength}";
        }

        var distinct = key.Distinct().Count();
        if (distinct < MinDistinctCharacters)
        {
            return $"it has {distinct} distinct characters, fewer than {MinDistinctCharacters}";
        }

        var bits = EntropyBits(key);
        if (bits < MinEntropyBits)
        {
            return $"its estimated entropy is {bits:F0} bits, under {MinEntropyBits:F0}";
        }

        return RunCharacters(key) * 2 > key.Length ? "more than half of it is runs such as 'aaaa', 'abcd' or '0123'" : null;
    }

    private static double EntropyBits(string key) =>
        key.GroupBy(c => c).Sum(g => -g.Count() * Math.Log2((double)g.Count() / key.Length));

    // Characters that continue a constant step from the two before them (aaa, abc, 246, 987).
    private static int RunCharacters(string key)
    {
        var count = 0;
        for (var i = 2; i < key.Length; i++)
        {
            if (key[i] - key[i - 1] == key[i - 1] - key[i - 2] && Math.Abs(key[i] - key[i - 1]) <= 2)
            {
                count++;
            }
        }

        return count;
    }
}
