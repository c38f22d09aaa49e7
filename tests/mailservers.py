"""Real mail servers on 127.0.0.1 for the tests: Dovecot (IMAP, from the Debian package dovecot-imapd, with a
throw-away configuration, a passwd-file user and a maildir) and aiosmtpd (SMTP, keeps every message it
receives), both with TLS from a self-signed certificate made here. Nothing is mocked."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

from needs import free_port, missing

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
USER, PASSWORD = "vanphong@tinhuy.local", "Mật-khẩu-2026"


def need_dovecot():
    """Skip (with the reason) where Dovecot is not installed; in CI (env CI set) fail instead."""
    if DOVECOT:
        return
    missing("Dovecot (Debian package dovecot-imapd) is not installed: the IMAP tests need a real server "
            "(.ci/run installs it)")


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made with the cryptography package (a dependency of
    msoffcrypto-tool in the test extra)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _wait_port(port: int, seconds: float = 10) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port}")


class Dovecot:
    """One Dovecot instance; ``append`` puts a message in the user's INBOX (over IMAP, as a mail server would)."""

    def __init__(self, root: Path):
        import pwd  # POSIX only: Dovecot runs on the Linux test machines

        self.root = root
        self.cert, self.key = make_cert(root)
        self.tls_port, self.plain_port = free_port(), free_port()
        # Dovecot never gives mail access to uid 0: as root, mail is kept as the 'dovecot' user; its folders must be
        # reachable by that user, which pytest's private tmp folders are not, hence a folder of its own in /tmp
        if os.geteuid() == 0:
            self.mail_user = pwd.getpwnam("dovecot")
            self.data = Path(tempfile.mkdtemp(prefix="toolkit-imap-"))
            os.chmod(self.data, 0o755)
            internal, login = "dovecot", "dovenull"
        else:
            self.mail_user = pwd.getpwuid(os.getuid())
            self.data = root / "imap"
            self.data.mkdir()
            internal = login = self.mail_user.pw_name
        home = self.data / "home"
        home.mkdir()
        os.chown(home, self.mail_user.pw_uid, self.mail_user.pw_gid)
        (self.data / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
        self.conf = root / "dovecot.conf"
        self.conf.write_text(f"""
base_dir = {self.data}/run
state_dir = {self.data}/state
instance_name = toolkit-test-{self.tls_port}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{self.key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.data}/passwd
}}
userdb {{
  driver = static
  args = uid={self.mail_user.pw_uid} gid={self.mail_user.pw_gid} home={home}/%n
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
""", encoding="utf-8")
        try:
            subprocess.run([DOVECOT, "-c", str(self.conf)], check=True, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait_port(self.tls_port)
            _wait_port(self.plain_port)
        except Exception:  # leave nothing running or lying in /tmp
            self.stop()
            raise

    def client(self):
        import imaplib

        c = imaplib.IMAP4_SSL("127.0.0.1", self.tls_port, ssl_context=ssl.create_default_context(cafile=self.cert))
        c.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())  # LOGIN is ASCII-only
        return c

    def append(self, raw: bytes, when: dt.datetime | None = None) -> None:
        import imaplib

        c = self.client()
        try:
            stamp = imaplib.Time2Internaldate(when.timestamp()) if when else None
            typ, _ = c.append("INBOX", None, stamp, raw)
            assert typ == "OK"
        finally:
            c.logout()

    def count(self) -> int:
        c = self.client()
        try:
            typ, data = c.select("INBOX", readonly=True)
            return int(data[0])
        finally:
            c.logout()

    def stop(self) -> None:
        pid_file = self.data / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, 15)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.05)
        if os.geteuid() == 0:
            shutil.rmtree(self.data, ignore_errors=True)


class SmtpServer:
    """aiosmtpd with implicit TLS (465-style) or STARTTLS (587-style) and a login; keeps every message."""

    def __init__(self, root: Path, implicit_tls: bool = True):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[dict] = []
        cert, key = make_cert(root) if not (root / "cert.pem").exists() else (root / "cert.pem", root / "key.pem")
        self.cert = cert
        server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ctx.load_cert_chain(cert, key)
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                       "data": envelope.original_content or envelope.content})
                return "250 OK"

        def auth(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login.decode() == USER and \
                data.password.decode() == PASSWORD
            return AuthResult(success=ok)

        self.port = free_port()
        kwargs = dict(hostname="127.0.0.1", port=self.port, authenticator=auth, auth_required=True,
                      auth_require_tls=True)
        if implicit_tls:
            kwargs["auth_require_tls"] = False  # the whole connection is TLS; aiosmtpd only knows of STARTTLS
            self.controller = Controller(Handler(), ssl_context=server_ctx, **kwargs)
        else:
            self.controller = Controller(Handler(), tls_context=server_ctx, require_starttls=True, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
