"""A real SMTP server (aiosmtpd) for the notify tests: it keeps every message it accepts.

Usage: smtp_keeper.py OUT_DIR [--port N] [--pipelining] [--tls starttls|implicit --cert PEM
--key PEM] [--login USER:PASSWORD] [--max-sessions N] [--smtputf8]. Prints "READY <port>" once it listens, then serves until
its standard input closes. aiosmtpd handles pipelined commands but does not announce
PIPELINING; --pipelining announces it so clients take their pipelined path. Each accepted message is written to OUT_DIR/NNNNNN.eml with two
X-Peer-* lines in front giving the SMTP envelope; every EHLO/HELO appends a line to
OUT_DIR/sessions, so tests can count connections. Recipients whose local part starts with
"tempfail" get 451 at RCPT, "permfail" 550 at RCPT, and "datafail" 452 after DATA. With
--max-sessions, connections beyond N open at once are greeted with 421 and closed, as busy
servers do.
"""

import argparse
import itertools
import os
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Keeper:
    def __init__(self, out, pipelining):
        self.out = out
        self.pipelining = pipelining
        self.numbers = itertools.count()

    def _session(self, hostname):
        with open(os.path.join(self.out, "sessions"), "a", encoding="utf-8") as f:
            f.write(hostname + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self._session(hostname)
        if self.pipelining:
            responses.insert(len(responses) - 1, "250-PIPELINING")
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
            f.write(head.encode("utf-8"))
            f.write(content)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 kept"


class CappedSMTP(SMTP):
    active = 0
    cap = None

    async def _handle_client(self):
        if CappedSMTP.cap is not None and CappedSMTP.active >= CappedSMTP.cap:
            await self.push("421 4.7.0 too many connections, try later")
            self.transport.close()
            return
        CappedSMTP.active += 1
        try:
            await super()._handle_client()
        finally:
            CappedSMTP.active -= 1


class CappedController(Controller):
    def factory(self):
        return CappedSMTP(self.handler, **self.SMTP_kwargs)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--pipelining", action="store_true")
    parser.add_argument("--tls", choices=["starttls", "implicit"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--login")
    parser.add_argument("--max-sessions", type=int)
    parser.add_argument("--smtputf8", action="store_true")
    args = parser.parse_args()
    CappedSMTP.cap = args.max_sessions
    port = args.port or free_port()
    options = {"decode_data": False, "enable_SMTPUTF8": args.smtputf8}
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.tls == "starttls":
            options["tls_context"] = context
            options["require_starttls"] = True
        else:
            options["ssl_context"] = context
    if args.login:
        user, password = args.login.split(":", 1)

        def authenticate(server, session, envelope, mechanism, auth_data):
            from aiosmtpd.smtp import AuthResult

            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            # handled=False lets aiosmtpd send its 535 reply itself.
            return AuthResult(success=ok, handled=False)

        options["authenticator"] = authenticate
        options["auth_required"] = True
        # Over implicit TLS aiosmtpd cannot see the encryption, so it must not insist on it.
        options["auth_require_tls"] = args.tls == "starttls"
    controller = CappedController(
        Keeper(args.out, args.pipelining), hostname="127.0.0.1", port=port, **options
    )
    controller.start()
    print("READY {}".format(port), flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
