namespace Pneumonia.SiloHost;

/// <summary>Names this assembly for tests that host the silo with WebApplicationFactory (Program is internal).</summary>
public sealed class SiloHostAssembly;
