using System.Globalization;

namespace Pneumonia.Testing;

/// <summary>
/// The configuration every in-process API test host starts from: free silo and gateway ports, grain state, data and
/// bundled model in the test's own folders, no base data set imported in the background, fast model refresh and
/// progress, an API key, quiet logs. Fixtures then set what they test differently (persistence, log levels, ...).
/// </summary>
public static class TestApiSettings
{
    public static Dictionary<string, string?> Create(
        string stateDirectory, string dataDirectory, string bundledModelDirectory, string apiKey, int? gatewayPort = null) => new Dictionary<string, string?>
    {
        ["Pneumonia:Silo:SiloPort"] = FreePorts.Next().ToString(CultureInfo.InvariantCulture),
        ["Pneumonia:Silo:GatewayPort"] = (gatewayPort ?? FreePorts.Next()).ToString(CultureInfo.InvariantCulture),
        ["Pneumonia:Silo:Persistence"] = "Memory",
        ["Pneumonia:Silo:DataDirectory"] = stateDirectory,
        ["Pneumonia:Data:DataDirectory"] = dataDirectory,
        ["Pneumonia:Data:BundledModelDirectory"] = bundledModelDirectory,
        // The base data set is imported by tests that need it, never in the background of every test.
        ["Pneumonia:Data:BaseDatasetPath"] = "",
        ["Pneumonia:Prediction:ModelRefreshInterval"] = "00:00:00.100",
        ["Pneumonia:Retrain:ProgressInterval"] = "00:00:00.100",
        ["Pneumonia:Api:ApiKey"] = apiKey,
        ["Logging:LogLevel:Default"] = "Warning",
    }.With(TestGateSettings.Lenient);
}
