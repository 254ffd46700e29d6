using System.Security.Cryptography;
using Pneumonia.Ml.Data;

namespace Pneumonia.Ml.Tests.Data;

public sealed class ContentAddressedImageStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ContentAddressedImageStore _store;

    public ContentAddressedImageStoreTests()
    {
        _store = new ContentAddressedImageStore(_temp.Combine("store"));
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Put_names_the_file_by_its_sha256_under_a_two_digit_shard()
    {
        byte[] bytes = [1, 2, 3, 4];
        var expected = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var stored = await _store.PutAsync(bytes, CancellationToken.None);

        Assert.Equal(new StoredImage(expected, 4, NewlyStored: true), stored);
        Assert.Equal(_temp.Combine("store", expected[..2], expected), _store.PathOf(expected));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(_store.PathOf(expected)));
        Assert.True(_store.Contains(expected));
        Assert.Equal(bytes, await _store.ReadAsync(expected));
    }

    [Fact]
    public async Task Putting_the_same_bytes_again_writes_nothing()
    {
        var first = await _store.PutAsync([9, 9, 9], CancellationToken.None);
        var writtenAt = File.GetLastWriteTimeUtc(_store.PathOf(first.Sha256));

        var again = await _store.PutAsync([9, 9, 9], CancellationToken.None);

        Assert.False(again.NewlyStored);
        Assert.Equal(first.Sha256, again.Sha256);
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(_store.PathOf(first.Sha256)));
        Assert.Single(Directory.GetFiles(_store.RootDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Concurrent_puts_of_the_same_bytes_store_one_file_and_leave_no_temp_files()
    {
        var bytes = new byte[100_000];
        new Random(5).NextBytes(bytes);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _store.PutAsync(bytes, CancellationToken.None))));

        Assert.Single(results.Select(result => result.Sha256).Distinct());
        Assert.Single(Directory.GetFiles(_store.RootDirectory, "*", SearchOption.AllDirectories));
        Assert.True(await _store.VerifyAsync(results[0].Sha256));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789")]
    [InlineData("abc")]
    [InlineData("")]
    public void PathOf_accepts_only_lower_case_sha256_hex(string hash)
    {
        Assert.Throws<ArgumentException>(() => _store.PathOf(hash));
    }

    [Fact]
    public async Task Enumeration_skips_temp_files_which_cleanup_deletes()
    {
        var stored = await _store.PutAsync([7], CancellationToken.None);
        var shard = Path.GetDirectoryName(_store.PathOf(stored.Sha256))!;
        var orphan = Path.Combine(shard, stored.Sha256[..2] + new string('0', 62) + ".0123.tmp");
        await File.WriteAllBytesAsync(orphan, [1]);
        await File.WriteAllBytesAsync(Path.Combine(_store.RootDirectory, "stray.txt"), [1]);

        Assert.Equal([stored.Sha256], _store.EnumerateHashes());
        Assert.Equal(1, _store.DeleteOrphanTempFiles());
        Assert.False(File.Exists(orphan));
        Assert.Equal([stored.Sha256], _store.EnumerateHashes());
    }

    [Fact]
    public async Task Verify_detects_changed_and_missing_files()
    {
        var stored = await _store.PutAsync([1, 2, 3], CancellationToken.None);
        Assert.True(await _store.VerifyAsync(stored.Sha256));

        await File.WriteAllBytesAsync(_store.PathOf(stored.Sha256), [1, 2, 4]);

        Assert.False(await _store.VerifyAsync(stored.Sha256));
        Assert.False(await _store.VerifyAsync(new string('a', 64)));
    }
}
