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
        var address = options.Clustering == SiloClustering.Localhost ? IPAddress.Loopback : IPAddress.Parse(options.AdvertisedAddress);
        EnsureFree(address, options.SiloPort, $"{PneumoniaSiloOptions.SectionName}:{nameof(PneumoniaSiloOptions.SiloPort)}");
        if (options.GatewayPort > 0)
        {
            EnsureFree(address, options.GatewayPort, $"{PneumoniaSiloOptions.SectionName}:{nameof(PneumoniaSiloOptions.GatewayPort)}");
        }
    }

    // Something that accepts a connection holds the port. (A trial bind would not do: .NET sets SO_REUSEPORT with
    // ReuseAddress on Linux, as Orleans does, so it binds beside a live silo; without it, a port whose connections are
    // still closing after a restart would be refused although Orleans can use it.) The connect is non-blocking and
    // polled on this thread: awaiting ConnectAsync needs a thread-pool thread for its completion, and at start-up,
    // with the pool busy, a live listener then looked free (CI saw exactly that).
    private static void EnsureFree(IPAddress address, int port, string setting)
    {
        using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        try
        {
            probe.Connect(new IPEndPoint(address, port));
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // The connection is under way; the poll below sees how it ends.
        }
        catch (SocketException)
        {
            return;
        }

        var listening = probe.Poll(TimeSpan.FromSeconds(2), SelectMode.SelectWrite)
            && probe.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is 0;

        if (listening)
        {
            throw new InvalidOperationException(
                $"Port {port} ({setting}) is already in use, probably by another PneumoniaOrleans instance on this machine. " +
                $"Move every port of this instance with {Abstractions.PneumoniaPorts.OffsetSetting} (e.g. --Pneumonia:Ports:Offset=100, " +
                $"environment Pneumonia__Ports__Offset=100), or set {setting} alone.");
        }
    }
}
