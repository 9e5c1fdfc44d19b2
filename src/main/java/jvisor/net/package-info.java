/**
 * Networking backends for virtio-net. {@link jvisor.net.UserNetwork} is user-mode networking in
 * the manner of QEMU's slirp: a private 10.0.2.0/24 whose gateway is a set of host sockets, so no
 * privileges are needed. Read it first, then {@link jvisor.net.TcpFlow} (one guest TCP
 * connection carried by a host socket), {@link jvisor.net.UdpFlows} (UDP and the DNS relay),
 * {@link jvisor.net.DhcpServer} and {@link jvisor.net.HostForward}. {@link jvisor.net.Packets}
 * holds the header layouts.
 */
package jvisor.net;
