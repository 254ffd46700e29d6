using System.Security.Cryptography;
using System.Text;

namespace Pneumonia.Silo.Storage;

/// <summary>Turns names that come from code or from grain keys into safe, collision-free file names.</summary>
internal static class FileNames
{
    // Well below the usual 255-byte limit of a file name, leaving room for ".json" and temp suffixes.
    private const int MaxLength = 128;

    /// <summary>
    /// A readable segment for names chosen in code (storage, grain type, state): kept as is when it is made of
    /// lower-case letters, digits, '.', '_' and '-' (and is not "." or ".."), otherwise '~' + <see cref="Key"/>.
    /// '~' cannot occur in a kept name, so the two forms never collide; lower case only keeps names distinct on
    /// case-insensitive file systems too.
    /// </summary>
    public static string Segment(string name)
    {
        var keep = name.Length is > 0 and <= MaxLength
            && name is not "." and not ".."
            && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-');
        return keep ? name : "~" + Key(Encoding.UTF8.GetBytes(name));
    }

    /// <summary>
    /// A file name for bytes that may be anything (a grain key): their lower-case hex; "h-" + the SHA-256 of them
    /// when that would be too long; "_" for no bytes. None of the three forms can be mistaken for another.
    /// </summary>
    public static string Key(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return "_";
        }

        var hex = Convert.ToHexStringLower(bytes);
        return hex.Length <= MaxLength ? hex : "h-" + Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
