using Pneumonia.Ml.Data;

namespace Pneumonia.Ml.Tests.Data;

public sealed class StoreIntegrityTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ContentAddressedImageStore _store;

    public StoreIntegrityTests()
    {
        _store = new ContentAddressedImageStore(_temp.Combine("data", "images"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_store_holding_exactly_the_catalogue_is_healthy()
    {
        var hashes = await StoreImagesAsync(3);

        var report = await StoreIntegrityChecker.CheckAsync(hashes, _store, CancellationToken.None);

        Assert.True(report.IsHealthy);
        Assert.Equal(3, report.Catalogued);
        Assert.Equal(3, report.Checked);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Orphans);
        Assert.Empty(report.Corrupt);
        Assert.Equal(0, report.LeftoverTempFiles);
    }

    [Fact]
    public async Task Check_finds_exactly_the_missing_orphan_corrupt_and_temp_files_and_repair_quarantines_without_deleting()
    {
        var hashes = await StoreImagesAsync(4);
        var (missing, corrupt) = (hashes[0], hashes[1]);
        File.Delete(_store.PathOf(missing));
        var corruptBytes = await File.ReadAllBytesAsync(_store.PathOf(corrupt));
        corruptBytes[corruptBytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(_store.PathOf(corrupt), corruptBytes);
        var orphan = (await _store.PutAsync(await File.ReadAllBytesAsync(TestData.Images("train", "PNEUMONIA", 1)[0]), CancellationToken.None)).Sha256;
        var tempFile = _store.PathOf(hashes[2]) + ".0123456789abcdef.tmp";
        await File.WriteAllBytesAsync(tempFile, [1, 2, 3]);

        var report = await StoreIntegrityChecker.CheckAsync(hashes, _store, CancellationToken.None);

        Assert.False(report.IsHealthy);
        Assert.Equal(4, report.Catalogued);
        Assert.Equal(4, report.Checked);
        Assert.Equal([missing], report.Missing);
        Assert.Equal([orphan], report.Orphans);
        Assert.Equal([corrupt], report.Corrupt.Select(file => file.Sha256));
        Assert.Equal(ContentAddressedImageStore.HashOf(corruptBytes), report.Corrupt[0].ActualSha256);
        Assert.Empty(report.Unreadable);
        Assert.Equal([tempFile], report.TempFiles);
        Assert.Equal(1, report.LeftoverTempFiles);

        var repair = await StoreIntegrityChecker.RepairAsync(report, _store, new RepairOptions());

        Assert.True(repair.Succeeded);
        Assert.Equal(_temp.Combine("data", StoreIntegrityChecker.QuarantineDirectoryName), repair.QuarantineDirectory);
        Assert.Equal(
            [(corrupt, QuarantineReason.Corrupt), (orphan, QuarantineReason.Orphan)],
            repair.Quarantined.Select(file => (file.Sha256, file.Reason)));
        Assert.Equal(corruptBytes, await File.ReadAllBytesAsync(repair.Quarantined[0].Path));
        Assert.Equal(orphan, ContentAddressedImageStore.HashOf(await File.ReadAllBytesAsync(repair.Quarantined[1].Path)));
        Assert.False(File.Exists(_store.PathOf(corrupt)));
        Assert.False(File.Exists(_store.PathOf(orphan)));
        Assert.False(File.Exists(tempFile));
        Assert.Equal(1, repair.TempFilesDeleted);
        Assert.Equal([missing], repair.StillMissing);

        var again = await StoreIntegrityChecker.CheckAsync(hashes, _store, CancellationToken.None);

        // The catalogue still lists the quarantined corrupt image, whose good bytes are gone: it is now missing too.
        Assert.Equal(new[] { missing, corrupt }.Order(StringComparer.Ordinal), again.Missing);
        Assert.Empty(again.Orphans);
        Assert.Empty(again.Corrupt);
        Assert.Equal(0, again.LeftoverTempFiles);
        Assert.Equal(2, again.Checked);
    }

    [Fact]
    public async Task Repair_never_overwrites_a_file_already_in_quarantine()
    {
        var orphan = (await _store.PutAsync([1, 2, 3], CancellationToken.None)).Sha256;
        var first = await StoreIntegrityChecker.RepairAsync(await StoreIntegrityChecker.CheckAsync([], _store, CancellationToken.None), _store, new RepairOptions());
        await _store.PutAsync([1, 2, 3], CancellationToken.None);

        var second = await StoreIntegrityChecker.RepairAsync(await StoreIntegrityChecker.CheckAsync([], _store, CancellationToken.None), _store, new RepairOptions());

        Assert.NotEqual(first.Quarantined[0].Path, second.Quarantined[0].Path);
        Assert.True(File.Exists(first.Quarantined[0].Path));
        Assert.True(File.Exists(second.Quarantined[0].Path));
        Assert.False(_store.Contains(orphan));
    }

    [Fact]
    public async Task Repair_does_only_what_the_options_allow()
    {
        var orphan = (await _store.PutAsync([4, 5, 6], CancellationToken.None)).Sha256;
        var report = await StoreIntegrityChecker.CheckAsync([], _store, CancellationToken.None);

        var repair = await StoreIntegrityChecker.RepairAsync(report, _store, new RepairOptions(QuarantineOrphans: false));

        Assert.Empty(repair.Quarantined);
        Assert.True(_store.Contains(orphan));
    }

    private async Task<IReadOnlyList<string>> StoreImagesAsync(int count)
    {
        var hashes = new List<string>();
        foreach (var file in TestData.Images("train", "NORMAL", count))
        {
            hashes.Add((await _store.PutAsync(await File.ReadAllBytesAsync(file), CancellationToken.None)).Sha256);
        }

        return hashes;
    }
}
