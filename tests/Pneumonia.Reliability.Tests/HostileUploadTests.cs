using System.Net;
using System.Text.Json;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>Limits small enough that bombs are cheap to build; the entry cap stays at its default of 10,000.</summary>
public sealed class HostileUploadApiFactory : ReliabilityApiFactory
{
    public const long MaxUncompressedBytes = 64L << 20;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Pneumonia:Images:MaxFileBytes"] = (8 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Pneumonia:Api:MaxZipUncompressedBytes"] = MaxUncompressedBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Pneumonia:Api:MaxRequestBytes"] = (100 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var client = CreateAuthorizedClient();
        using var form = Files.Form("files", [.. Files.Xrays("val", 3).Select(i => (i.Name, i.Bytes))], "NORMAL");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/upload", form)).StatusCode);
    }
}

/// <summary>
/// Each hostile upload gets a clear error or per-file rejections; nothing is written outside the store; nothing
/// already stored changes; the server keeps answering predictions.
/// </summary>
public sealed class HostileUploadTests(HostileUploadApiFactory factory) : IClassFixture<HostileUploadApiFactory>
{
    private static readonly byte[] Xray = Files.OneXray();

    // Built on first use and shared: the bombs take a second or two to compress.
    private static readonly Lazy<byte[]> Bomb = new(() => HostileFiles.ZipBomb(HostileUploadApiFactory.MaxUncompressedBytes * 3));

    // Bounded by the request body plus one image over the 8 MB image limit and its decode; a bomb inflated in memory is 64 MB or more.
    private const long MaxAllocatedMegabytes = 60;

    public static TheoryData<string> Cases => [.. Build().Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_upload_is_refused_clearly_and_changes_nothing_stored(string name)
    {
        var (files, accepted, codes) = Build()[name]();
        var before = Files.Snapshot(factory.ImagesDirectory);
        var datasetBefore = (await factory.CreateClient().GetJsonAsync("/dataset/stats")).GetProperty("total_images").GetInt32();
        using var client = factory.CreateAuthorizedClient();

        using var form = Files.Form("files", files);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        using var response = await client.PostAsync("/upload", form);
        var text = await response.Content.ReadAsStringAsync();
        // The whole server runs in this process: what it allocated for the request shows whether a bomb was inflated.
        var allocatedMegabytes = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) >> 20;
        Assert.True(allocatedMegabytes < MaxAllocatedMegabytes, $"{allocatedMegabytes} MB allocated");
        var body = JsonDocument.Parse(text).RootElement;
        var status = (int)response.StatusCode;
        Assert.InRange(status, 200, 499);
        Assert.DoesNotContain(factory.DataDirectory, text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        var rejected = body.TryGetProperty("rejected", out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray().ToList() : [];
        Assert.All(rejected, r => Assert.Contains(r.GetProperty("code").GetString(), codes));
        Assert.All(rejected, r => Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("reason").GetString())));
        var acceptedNow = status == 200 ? body.GetProperty("accepted").GetInt32() : 0;
        var duplicates = status == 200 ? body.GetProperty("duplicates").GetInt32() : 0;
        Assert.Equal(accepted, acceptedNow);
        if (status != 200)
        {
            Assert.NotEmpty(rejected);
            Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("detail").GetString()));
        }

        // Nothing stored changed; only the accepted images were added, each whole, under its hash.
        var after = Files.Snapshot(factory.ImagesDirectory);
        Assert.All(before, file => Assert.Equal(file.Value, after[file.Key]));
        var (images, bad, temp) = Files.Store(factory.ImagesDirectory);
        Assert.Empty(bad);
        Assert.Empty(temp);
        Assert.Equal(before.Count + acceptedNow, images.Count);
        Assert.Equal(datasetBefore + acceptedNow, (await client.GetJsonAsync("/dataset/stats")).GetProperty("total_images").GetInt32());
        // Nothing outside the store: the names the archives and clients tried to write to do not exist.
        foreach (var escape in EscapeTargets(factory))
        {
            Assert.False(File.Exists(escape), $"{escape} was written");
        }

        Assert.Equal(HttpStatusCode.OK, (await client.PredictAsync()).Status);
        // Inputs: files and archive entries that got an answer of their own (at least the files sent).
        ReliabilityLog.Record(Areas.HostileUploads, name, inputs: Math.Max(files.Count, rejected.Count + acceptedNow + duplicates),
            outcome: $"{status} {(status == 200 ? $"{acceptedNow} accepted, {duplicates} duplicate, " : string.Empty)}{(rejected.Count == 0 ? "nothing rejected" : $"{rejected.Count} rejected ({string.Join(", ", rejected.Select(r => r.GetProperty("code").GetString()).Distinct())})")}; {allocatedMegabytes} MB allocated by the server; store unchanged but for accepted images; predictions still answer");
    }

    private static IEnumerable<string> EscapeTargets(HostileUploadApiFactory factory) =>
    [
        Path.GetFullPath(Path.Combine(factory.DataDirectory, "..", "evil.jpeg")),
        Path.GetFullPath(Path.Combine(factory.ImagesDirectory, "..", "..", "evil.jpeg")),
        "/tmp/pneumonia-reliability-evil.jpeg",
        "/etc/pneumonia-reliability-evil.jpeg",
        Path.Combine(Path.GetTempPath(), "pneumonia-reliability-evil.jpeg"),
    ];

    /// <summary>Case name -> its files, how many of them must be accepted, and the rejection codes allowed.</summary>
    private static Dictionary<string, Func<(IReadOnlyList<(string Name, byte[] Bytes)> Files, int Accepted, string[] Codes)>> Build()
    {
        string[] archiveLimits = ["ArchiveTooLarge", "TooLarge", "CorruptArchive"];
        var png = CraftedImages.PngClaiming(100_000, 100_000);
        return new()
        {
            ["zip bomb: 192 MB of zeros in one entry, ratio about 1000:1"] = () => ([("bomb.zip", Bomb.Value)], 0, archiveLimits),
            ["zip bomb that declares 1,000 bytes for its 192 MB entry"] = () => ([("liar.zip", Lying(Bomb.Value))], 0, [.. archiveLimits, "NotAnImage"]),
            ["nested archives, 3 levels, bomb innermost (also disguised as .jpeg)"] = () => ([("nested.zip", HostileFiles.NestedBomb(3, 32 << 20))], 0, ["NestedArchive"]),
            ["entries with '..', absolute paths and drive letters"] = () => (
                [("escape.zip", Files.Zip(("../evil.jpeg", Xray), ("NORMAL/../../evil.jpeg", Xray), ("/tmp/pneumonia-reliability-evil.jpeg", Xray),
                    ("C:/Windows/evil.jpeg", Xray), ("..\\..\\evil.jpeg", Xray)))], 0, ["UnsafeName"]),
            ["symbolic-link entry pointing at /etc/passwd"] = () => ([("link.zip", HostileFiles.ZipWithLink())], 0, ["NotRegularFile"]),
            ["10,000 tiny entries, one of them a real X-ray"] = () => ([("tiny.zip", HostileFiles.ManyTinyEntries(10_000, Xray))], 1, ["NotAnImage", "Empty"]),
            ["10,001 tiny entries (over the entry cap)"] = () => ([("too-many.zip", HostileFiles.ManyTinyEntries(10_001, null))], 0, ["TooManyEntries"]),
            ["an entry declaring 4 GB"] = () => ([("declared.zip", HostileFiles.ZipDeclaring(0xFFFF_FFF0, Files.OneXray(1)))], 0, ["ArchiveTooLarge"]),
            ["PNG decompression bomb (header claims 100,000 x 100,000)"] = () => ([("bomb.png", png)], 0, ["TooManyPixels"]),
            ["JPEG decompression bomb (header claims 65,000 x 65,000)"] = () => ([("bomb.jpeg", CraftedImages.JpegClaiming(Xray, 65_000, 65_000))], 0, ["TooManyPixels"]),
            ["truncated JPEG and truncated PNG"] = () => ([("half.jpeg", Xray[..(Xray.Length / 3)]), ("half.png", CraftedImages.PngClaiming(64, 64)[..40])], 0, ["Corrupt", "NotAnImage"]),
            ["zip signature followed by a JPEG"] = () => ([("fake.zip", HostileFiles.ZipHeaderThenJpeg(Xray))], 0, ["CorruptArchive"]),
            ["wrong extensions: text named .jpeg, a zip named .png"] = () => (
                [("notes.jpeg", "not an image"u8.ToArray()), ("xray.png", Files.Zip(("NORMAL/inside.jpeg", Files.OneXray(2))))], 1, ["NotAnImage"]),
            ["empty file and empty zip"] = () => ([("empty.jpeg", []), ("empty.zip", Files.Zip())], 0, ["Empty", "EmptyArchive"]),
            ["polyglot: a real JPEG with a zip appended"] = () => ([("polyglot.jpeg", HostileFiles.JpegZipPolyglot(Files.OneXray(8)))], 0, ["Corrupt"]),
            ["PNG with a zTXt metadata bomb (64 MB of text; the image itself is valid)"] = () => ([("text-bomb.png", HostileFiles.PngWithTextBomb(64 << 20))], 1, []),
            ["PNG whose IDAT chunk declares 2 GB"] = () => ([("lying-chunk.png", HostileFiles.PngWithLyingChunkLength())], 0, ["Corrupt"]),
            ["JPEG with garbage Huffman tables"] = () => ([("huffman.jpeg", HostileFiles.JpegWithBrokenHuffmanTables(Files.OneXray(3)))], 0, ["Corrupt"]),
            ["the same file twice in one request"] = () => ([("a.jpeg", Files.OneXray(4)), ("b.jpeg", Files.OneXray(4))], 1, []),
            ["client file names that are paths"] = () => (
                [("../../evil.jpeg", Files.OneXray(5)), ("/tmp/pneumonia-reliability-evil.jpeg", Files.OneXray(6)), ("C:\\Windows\\evil.jpeg", Files.OneXray(7))], 3, []),
        };
    }

    // Both the local header and the central directory declare the size; a liar sets both to 1,000 bytes.
    private static byte[] Lying(byte[] bomb)
    {
        var zip = (byte[])bomb.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(22), 1000);
        var central = zip.AsSpan().LastIndexOf("PK\x01\x02"u8);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(central + 24), 1000);
        return zip;
    }
}
