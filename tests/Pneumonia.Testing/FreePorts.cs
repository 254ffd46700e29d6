using System.Net;
using System.Net.Sockets;

namespace Pneumonia.Testing;

/// <summary>Network ports for tests, chosen at run time (never fixed, so parallel runs do not collide).</summary>
public static class FreePorts
{
    /// <summary>A loopback TCP port that was free a moment ago.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
