using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// TorchSharp 0.107's libLibTorchSharp.so declares a need for GLIBCXX_3.4.32 (GCC 13's libstdc++), which Debian 12
/// does not have, so the library fails to load there. The only symbol bound to that version is the marker
/// std::ios_base_library_init(), which nothing calls; marking that one version-need weak (VER_FLG_WEAK in the
/// .gnu.version_r section) lets the dynamic loader accept the older libstdc++. The patch is applied only to the
/// copies in build output, and only where the system's libstdc++ lacks the version.
/// </summary>
public sealed class WeakenGlibcxxVersionNeed : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string VersionName { get; set; } = "";

    public override bool Execute()
    {
        if (SystemLibStdCxxHas(VersionName))
        {
            Log.LogMessage(MessageImportance.Low, $"System libstdc++ provides {VersionName}; nothing to patch.");
            return true;
        }
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            try
            {
                var bytes = File.ReadAllBytes(path);
                var result = Patch(bytes, VersionName);
                if (result == PatchResult.Patched)
                {
                    var temp = path + ".patching";
                    File.WriteAllBytes(temp, bytes);
                    File.Copy(temp, path, overwrite: true);
                    File.Delete(temp);
                    Log.LogMessage(MessageImportance.High, $"Weakened the {VersionName} version need in {path}.");
                }
                else
                {
                    Log.LogMessage(MessageImportance.Low, $"{path}: {result}.");
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError($"Could not patch {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    public enum PatchResult { Patched, AlreadyWeak, NoSuchVersionNeed }

    public static bool SystemLibStdCxxHas(string versionName)
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib64/libstdc++.so.6",
        };
        var existing = candidates.FirstOrDefault(File.Exists);
        if (existing is null) return true; // not a glibc system we know: leave the file alone
        var needle = Encoding.ASCII.GetBytes(versionName + "\0");
        return IndexOf(File.ReadAllBytes(existing), needle) >= 0;
    }

    public static PatchResult Patch(byte[] elf, string versionName)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2)
            throw new InvalidDataException("not a 64-bit ELF file");
        var shOff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shEntSize = BitConverter.ToUInt16(elf, 0x3A);
        int shNum = BitConverter.ToUInt16(elf, 0x3C);
        for (var i = 0; i < shNum; i++)
        {
            var header = (int)(shOff + (long)i * shEntSize);
            if (BitConverter.ToUInt32(elf, header + 4) != ShtGnuVerneed) continue;
            var offset = (int)BitConverter.ToUInt64(elf, header + 0x18);
            var link = BitConverter.ToUInt32(elf, header + 0x28);
            var count = BitConverter.ToUInt32(elf, header + 0x2C);
            var strtabHeader = (int)(shOff + (long)link * shEntSize);
            var strtab = (int)BitConverter.ToUInt64(elf, strtabHeader + 0x18);

            var verneed = offset;
            for (var n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, verneed + 2);
                var aux = verneed + (int)BitConverter.ToUInt32(elf, verneed + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    var name = ReadCString(elf, strtab + (int)BitConverter.ToUInt32(elf, aux + 8));
                    if (name == versionName)
                    {
                        var flags = BitConverter.ToUInt16(elf, aux + 4);
                        if ((flags & VerFlgWeak) != 0) return PatchResult.AlreadyWeak;
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, aux + 4);
                        return PatchResult.Patched;
                    }
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                verneed += (int)BitConverter.ToUInt32(elf, verneed + 12);
            }
        }
        return PatchResult.NoSuchVersionNeed;
    }

    // The task compiles against netstandard2.0 (RoslynCodeTaskFactory): no spans, so a plain search.
    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length; i++)
        {
            var j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    private static string ReadCString(byte[] bytes, int start)
    {
        var end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }
}
