"""A real SMTP server on 127.0.0.1 for the fault tests (aiosmtpd): it can refuse the next
messages with a temporary error, or hold a message unanswered until the test lets it go."""

import asyncio
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Handler:
    def __init__(self):
        self.refuse = 0
        self.received: list = []
        self.hold = False
        self.holding = threading.Event()  # a message is being held
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold:
            self.hold = False
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            # the sender is gone: the message was never acknowledged, so never accepted
            return "421 4.4.2 Connection timed out, message not accepted"
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Mail server temporarily unavailable, try again later"
        self.received.append(envelope)
        return "250 2.0.0 Message accepted"


class SmtpServer:
    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.handler.release.set()
        self.controller.stop()

    @property
    def received(self) -> list:
        return self.handler.received
