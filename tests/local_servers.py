"""Servers on 127.0.0.1 for delivery tests: nothing leaves the machine."""

from __future__ import annotations

import socket

from aiosmtpd.handlers import Message


class Inbox(Message):
    """An aiosmtpd handler keeping every received message."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list = []

    def handle_message(self, message) -> None:
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
