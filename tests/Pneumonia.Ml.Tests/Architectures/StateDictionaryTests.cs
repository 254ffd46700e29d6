using Pneumonia.Ml.Architectures;

namespace Pneumonia.Ml.Tests.Architectures;

public sealed class StateDictionaryTests
{
    [Fact]
    public void Every_tensor_is_saved_once_under_its_readable_name()
    {
        using var network = new ResNet18Network(3, 0.2, [103f, 116f, 123f]);
        var names = network.state_dict().Keys.ToList();

        Assert.DoesNotContain(names, n => n.Contains("BackingField", StringComparison.Ordinal));
        Assert.Contains("backbone.layer1.0.conv1.weight", names);
        Assert.Contains("backbone.layer2.0.downsample.conv.weight", names);
        var parameterCount = network.parameters().Sum(p => p.numel());
        var savedCount = network.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Sum(kv => kv.Value.numel());
        // Batch-norm statistics add well under 1 %; a module registered twice would double the count.
        Assert.InRange(savedCount, parameterCount, parameterCount * 1.01);
    }
}
