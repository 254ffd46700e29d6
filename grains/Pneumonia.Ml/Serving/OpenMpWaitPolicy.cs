using System.Runtime.InteropServices;

namespace Pneumonia.Ml.Serving;

/// <summary>
/// How libtorch's OpenMP threads (libgomp, shipped with TorchSharp) wait between parallel regions. libgomp reads this
/// once, from the native process environment, when it loads with libtorch; its default lets every worker spin for
/// about 300,000 iterations (milliseconds here) after each region. On a small machine that spin takes a core from the
/// request threads that decode, answer and receive the next image between two forward passes, and when other work
/// wants the cores too, spinning workers and preempted threads wait for each other (measured: one-user runs with a
/// p90 of 460 ms instead of 20 ms). Passive workers sleep at once and are woken for the next region.
/// </summary>
public static class OpenMpWaitPolicy
{
    /// <summary>The libgomp variables that already say how to wait; when either is set, its value is kept.</summary>
    public static readonly IReadOnlyList<string> Variables = ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"];

    /// <summary>
    /// Sets <c>OMP_WAIT_POLICY=PASSIVE</c> in the native environment unless <see cref="Variables"/> name a policy
    /// already (an operator's <c>GOMP_SPINCOUNT=300000</c> restores libgomp's default). Only effective before libtorch
    /// loads, so hosts call it while registering their services. Returns whether it set the policy.
    /// </summary>
    public static bool ApplyDefault()
    {
        if (!OperatingSystem.IsLinux() || Variables.Any(v => NativeGet(v) is not null)) return false;
        return SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0) == 0;
    }

    /// <summary>The native process environment's value (which libgomp reads; .NET's own copy can differ).</summary>
    public static string? NativeGet(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    /// <summary>Sets (or with null removes) a variable of the native process environment; for tests.</summary>
    internal static void NativeSet(string name, string? value)
    {
        if ((value is null ? UnsetEnv(name) : SetEnv(name, value, overwrite: 1)) != 0)
            throw new InvalidOperationException($"could not change {name} in the native environment");
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern nint GetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", EntryPoint = "unsetenv")]
    private static extern int UnsetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
