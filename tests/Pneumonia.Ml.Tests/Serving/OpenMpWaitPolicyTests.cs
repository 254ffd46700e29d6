using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Tests.Serving;

// One class: the tests change the process's native environment, so they must not run in parallel with each other.
public sealed class OpenMpWaitPolicyTests : IDisposable
{
    private readonly Dictionary<string, string?> _saved = OpenMpWaitPolicy.Variables.ToDictionary(v => v, OpenMpWaitPolicy.NativeGet);

    [Fact]
    public void Without_a_policy_libgomp_is_told_to_wait_passively()
    {
        Unset();

        Assert.True(OpenMpWaitPolicy.ApplyDefault());

        Assert.Equal("PASSIVE", OpenMpWaitPolicy.NativeGet("OMP_WAIT_POLICY"));
        Assert.Null(OpenMpWaitPolicy.NativeGet("GOMP_SPINCOUNT"));
    }

    [Theory]
    [InlineData("GOMP_SPINCOUNT", "300000")]
    [InlineData("OMP_WAIT_POLICY", "ACTIVE")]
    public void An_operators_choice_is_kept(string variable, string value)
    {
        Unset();
        OpenMpWaitPolicy.NativeSet(variable, value);

        Assert.False(OpenMpWaitPolicy.ApplyDefault());

        Assert.Equal(value, OpenMpWaitPolicy.NativeGet(variable));
        Assert.All(OpenMpWaitPolicy.Variables.Where(v => v != variable), v => Assert.Null(OpenMpWaitPolicy.NativeGet(v)));
    }

    public void Dispose()
    {
        foreach (var (variable, value) in _saved) OpenMpWaitPolicy.NativeSet(variable, value);
    }

    private static void Unset()
    {
        foreach (var variable in OpenMpWaitPolicy.Variables) OpenMpWaitPolicy.NativeSet(variable, null);
    }
}
