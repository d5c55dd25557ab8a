"""A fake SMTP server for the tests: just enough of RFC 5321 for smtplib."""

from __future__ import annotations

import base64
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any


@dataclass
class SmtpLog:
    """What the fake server saw."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    refuse_recipients: bool = False
    # Set: the server greets a client only once the event is set (a slow mail server).
    hold: threading.Event | None = None
    # How many clients have connected so far.
    connections: int = 0


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough of RFC 5321 for smtplib: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    server: _SmtpServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        log = self.server.log
        sender, recipients = "", []
        log.connections += 1
        if log.hold is not None:
            log.hold.wait(timeout=10)
        self.reply("220 fake.smtp.test ESMTP")
        while raw := self.rfile.readline():
            if not raw.isascii():
                return  # a TLS handshake or other binary: hang up, as a plain server would
            command = raw.decode("ascii").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250-fake.smtp.test")
                self.reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                credentials = base64.b64decode(command.split()[-1]).split(b"\0")
                log.logins.append(credentials[1].decode())
                self.reply("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip("<> "), []
                self.reply("250 OK")
            elif verb == "RCPT":
                if log.refuse_recipients:
                    self.reply("550 5.1.1 No such mailbox here")
                else:
                    recipients.append(command.split(":", 1)[1].strip("<> "))
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (line := self.rfile.readline()) != b".\r\n":
                    lines.append(line[1:] if line.startswith(b"..") else line)
                log.messages.append(
                    message_from_bytes(b"".join(lines), policy=policy.default)  # type: ignore[arg-type]
                )
                log.envelopes.append((sender, recipients))
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = True

    def __init__(self, log: SmtpLog) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.log = log


@contextmanager
def running_smtp_server() -> Iterator[tuple[int, SmtpLog]]:
    """A fake SMTP server on 127.0.0.1, on a free port, while the block runs."""
    log = SmtpLog()
    server = _SmtpServer(log)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1], log
    finally:
        if log.hold is not None:
            log.hold.set()
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def use_smtp(app: Any, port: int, **settings: Any) -> None:
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_USE_SSL=False,
        MAIL_TIMEOUT=5,
        **settings,
    )
