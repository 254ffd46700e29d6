using System.Net;
using System.Net.Sockets;

namespace Pneumonia.Silo.Hosting;

/// <summary>
/// Refuses a silo port another process already listens on, naming the setting and the way out, instead of the
/// Orleans start-up failure deep in its networking that a second instance on one machine otherwise gets.
/// </summary>
internal static class SiloPorts
{
    public static void EnsureFree(PneumoniaSiloOptions options)
    {
        var address = options.Clustering == SiloClustering.Localhost ? IPAddress.Loopback : IPAddress.Any;
        EnsureFree(address, options.SiloPort, $"{PneumoniaSiloOptions.SectionName}:{nameof(PneumoniaSiloOptions.SiloPort)}");
        if (options.GatewayPort > 0)
        {
            EnsureFree(address, options.GatewayPort, $"{PneumoniaSiloOptions.SectionName}:{nameof(PneumoniaSiloOptions.GatewayPort)}");
        }
    }

    private static void EnsureFree(IPAddress address, int port, string setting)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // As Orleans binds: a port whose last connections are still closing (TIME_WAIT) counts as free.
        probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try
        {
            probe.Bind(new IPEndPoint(address, port));
            probe.Listen();
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            throw new InvalidOperationException(
                $"Port {port} ({setting}) is already in use, probably by another PneumoniaOrleans instance on this machine. " +
                $"Move every port of this instance with {Abstractions.PneumoniaPorts.OffsetSetting} (e.g. --Pneumonia:Ports:Offset=100, " +
                $"environment Pneumonia__Ports__Offset=100), or set {setting} alone.", ex);
        }
    }
}
