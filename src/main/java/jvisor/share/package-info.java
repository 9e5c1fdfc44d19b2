/**
 * Host folders shared with the guest over 9P2000.L (virtio-9p): {@link jvisor.share.P9Server}
 * speaks the protocol, {@link jvisor.share.SharedTree} keeps every path inside the shared
 * directory (read its comment for the rules), {@link jvisor.share.P9Message} encodes messages.
 */
package jvisor.share;
