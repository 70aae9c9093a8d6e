"""A real SMTP server (aiosmtpd) on a free 127.0.0.1 port, keeping what it receives."""

import email
import email.policy
import socket
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages = []
        self.raw: list[bytes] = []
        # Set to an SMTP reply ("451 try later") to make the server refuse every mail.
        self.refuse = ""

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.raw.append(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server():
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    try:
        yield inbox
    finally:
        controller.stop()


def smtp_env(inbox) -> dict[str, str]:
    """The CARNET_SMTP_* settings of a `carnet serve` sending through this server."""
    return {
        "CARNET_SMTP_HOST": "127.0.0.1",
        "CARNET_SMTP_PORT": str(inbox.port),
        "CARNET_SMTP_SECURITY": "none",
        "CARNET_SMTP_FROM": "carnet@team.example",
    }
