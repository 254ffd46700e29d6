using Pneumonia.Ml.Data;

namespace Pneumonia.Cli;

/// <summary>The layout of a data directory: the content-addressed image store and its catalogue.</summary>
internal sealed class DataDirectory
{
    public DataDirectory(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        Store = new ContentAddressedImageStore(Path.Combine(Root, "images"));
        CataloguePath = Path.Combine(Root, "catalogue.jsonl");
    }

    public string Root { get; }

    public ContentAddressedImageStore Store { get; }

    public string CataloguePath { get; }

    public ImageCatalogue LoadCatalogue() => ImageCatalogue.Load(CataloguePath);
}
