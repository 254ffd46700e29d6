using TorchSharp;

namespace Pneumonia.Ml.Tests;

public sealed class TorchSharpLoadsTests
{
    [Fact]
    public void Native_library_loads_and_computes()
    {
        // Fails with "doesn't contain a reference to libtorch-cpu-linux-x64" when the GLIBCXX version need is not weakened.
        using var a = torch.ones(2, 3);
        using var b = a.sum();
        Assert.Equal(6f, b.item<float>());
    }
}
