using System.ComponentModel.DataAnnotations;
using Orleans.Storage;

namespace Pneumonia.Silo.Storage;

/// <summary>Options of one <see cref="FileGrainStorage"/> instance (named after the storage provider).</summary>
public sealed class FileGrainStorageOptions
{
    /// <summary>The data directory; state files go to <c>&lt;DataDirectory&gt;/grains/&lt;storage name&gt;/</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "";

    /// <summary>
    /// The serializer of the state payload. When null: an <see cref="IGrainStorageSerializer"/> registered under the
    /// storage name, else the Orleans serializer (see <see cref="FileGrainStorage"/> for why not JSON).
    /// </summary>
    public IGrainStorageSerializer? GrainStorageSerializer { get; set; }
}
