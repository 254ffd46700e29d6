using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Ml.Tests.Architectures;

public sealed class ResNet18ArchitectureTests
{
    private static readonly string s_bundled = Path.Combine(TestData.RepositoryRoot, "models", "bundled");

    [Fact]
    public void A_new_card_describes_the_network_as_the_bundled_model_card_does()
    {
        var bundled = ModelPackage.ReadCard(s_bundled).Architecture;

        var described = ResNet18Architecture.Instance.Describe(bundled.BackboneStages, bundled.Dropout, pretrained: true);

        // Name, parameter count and the weights' source (package, version, file and hash) written as before the seam.
        // A new version of the ImageNet package changes the source: the bundled model then no longer comes from it.
        Assert.Equal(bundled, described);
        Assert.StartsWith("Microsoft.ML.DnnImageFeaturizer.ResNet18 ", ImageNetResNet18Weights.Package, StringComparison.Ordinal);
        Assert.EndsWith($"sha256:{ModelPackage.HashFile(ImageNetResNet18Weights.DefaultOnnxPath)}", described.Pretrained, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bundled_weights_load_and_save_byte_for_byte()
    {
        using var directory = new TempDirectory();
        var card = ModelPackage.ReadCard(s_bundled);
        using var network = ModelPackage.LoadNetwork(card, s_bundled);

        network.save(directory.Combine("weights.bin"));

        Assert.IsType<ResNet18Network>(network);
        Assert.Equal(File.ReadAllBytes(Path.Combine(s_bundled, card.Weights.FileName)), File.ReadAllBytes(directory.Combine("weights.bin")));
    }
}
