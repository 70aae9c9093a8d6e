"""Where a webhook may post: not into the machine or network Carnet runs in (loopback,
link-local, private, reserved addresses), unless CARNET_WEBHOOK_ALLOW_PRIVATE says so. An admin
could otherwise make the server call its own database or a router's page."""

import ipaddress
import socket
from urllib.parse import urlsplit


def _inside(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    # Anything not routed on the internet: shared carrier space (100.64.0.0/10, where some
    # clouds answer metadata requests), benchmarking, documentation ranges and the like.
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def private_target(url: str) -> bool | None:
    """True when the URL's host is, or resolves to, an inside address; None when the name
    does not resolve now (the delivery checks again)."""
    host = urlsplit(url).hostname
    if not host:
        return True
    try:
        return _inside(host)
    except ValueError:
        pass  # a name, not an address
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return None
    return any(_inside(info[4][0]) for info in infos)
