namespace Pneumonia.Abstractions;

/// <summary>
/// The default ports of every process, and the one setting that moves them all: <see cref="OffsetSetting"/>
/// (environment <c>Pneumonia__Ports__Offset=100</c>, or <c>--Pneumonia:Ports:Offset=100</c>) adds its value to
/// each default, so a second instance on the same machine (API 5180, silo 11211, gateway 30100) and the notebooks
/// and apps that talk to it agree. A port set explicitly (<c>--urls</c>, <c>ASPNETCORE_URLS</c>,
/// <c>Pneumonia:Silo:SiloPort</c>, ...) is used as given.
/// </summary>
public static class PneumoniaPorts
{
    /// <summary>The configuration key of the offset.</summary>
    public const string OffsetSetting = "Pneumonia:Ports:Offset";

    /// <summary>The REST API (<c>http://localhost:5080</c>).</summary>
    public const int Api = 5080;

    /// <summary>A standalone silo host's HTTP port: dashboard, health probes, metrics.</summary>
    public const int SiloHost = 5090;

    /// <summary>Silo-to-silo traffic (Orleans' SiloPort).</summary>
    public const int Silo = 11111;

    /// <summary>Orleans clients (API front ends, notebooks) reach a silo through its gateway.</summary>
    public const int Gateway = 30000;
}
