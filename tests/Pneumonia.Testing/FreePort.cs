using System.Net;
using System.Net.Sockets;

namespace Pneumonia.Testing;

/// <summary>Free TCP ports on loopback, picked at run time so that tests never collide on fixed ports.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
