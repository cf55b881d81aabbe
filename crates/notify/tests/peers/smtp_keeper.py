"""A real SMTP server (aiosmtpd) for the notify tests: it keeps every message it accepts.

Usage: smtp_keeper.py OUT_DIR [PORT]. Prints "READY <port>" once it listens, then serves until
its standard input closes. Each accepted message is written to OUT_DIR/NNNNNN.eml with two
X-Peer-* lines in front giving the SMTP envelope; every EHLO/HELO appends a line to
OUT_DIR/sessions, so tests can count connections. Recipients whose local part starts with
"tempfail" get 451 at RCPT, "permfail" 550 at RCPT, and "datafail" 452 after DATA.
"""

import itertools
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Keeper:
    def __init__(self, out):
        self.out = out
        self.numbers = itertools.count()

    def _session(self, hostname):
        with open(os.path.join(self.out, "sessions"), "a", encoding="utf-8") as f:
            f.write(hostname + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self._session(hostname)
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        session.host_name = hostname
        self._session(hostname)
        return "250 {}".format(server.hostname)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local.startswith("tempfail"):
            return "451 4.3.0 try again later"
        if local.startswith("permfail"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.split("@")[0].startswith("datafail") for r in envelope.rcpt_tos):
            return "452 4.3.1 insufficient storage"
        number = next(self.numbers)
        path = os.path.join(self.out, "{:06}.eml".format(number))
        head = "X-Peer-Mail-From: {}\r\nX-Peer-Rcpt-To: {}\r\n".format(
            envelope.mail_from, ",".join(envelope.rcpt_tos)
        )
        content = envelope.original_content
        if content is None:
            content = envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", errors="surrogateescape")
        with open(path + ".tmp", "wb") as f:
            f.write(head.encode("ascii"))
            f.write(content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 kept"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    out = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else free_port()
    controller = Controller(Keeper(out), hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    print("READY {}".format(port), flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
