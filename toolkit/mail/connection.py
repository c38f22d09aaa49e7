"""Connecting to the office's mail servers: settings, the password (environment or OS keyring, never a file the
toolkit writes), TLS, and Vietnamese messages for the faults a clerk meets (wrong password, unreachable server,
certificate problem)."""

from __future__ import annotations

import os
import socket
import ssl
from dataclasses import dataclass

from ..errors import ToolkitError


class MailError(ToolkitError):
    """A mailbox or mail server that cannot be used as set up (message in Vietnamese)."""


@dataclass
class Server:
    kind: str  # imap | smtp
    host: str
    port: int
    security: str  # tls | starttls
    user: str
    password: str
    ca_file: str = ""
    timeout: float = 30
    folder: str = "INBOX"
    sender: str = ""

    def context(self) -> ssl.SSLContext:
        """Certificates are always checked: against the system's authorities, or the office's own (ca_file)."""
        ctx = ssl.create_default_context(cafile=self.ca_file or None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx


def server_settings(settings: dict, kind: str, env: dict | None = None) -> Server:
    """The IMAP or SMTP server of the workspace's settings (mail.imap / mail.smtp), with its password."""
    mail = settings.get("mail") or {}
    s = mail.get(kind) or {}
    host, user = str(s.get("host") or "").strip(), str(s.get("user") or "").strip()
    if not host or not user:
        raise MailError(f"Chưa khai báo máy chủ thư {kind.upper()} (mục mail.{kind}: host, user) trong settings.yaml. "
                        "Xem bảng cài đặt hộp thư trong README hoặc docs/mail.md.")
    security = str(s.get("security") or "tls").lower()
    if security not in ("tls", "starttls"):
        raise MailError(f"mail.{kind}.security phải là 'tls' hoặc 'starttls' (đang là '{security}'): "
                        "toolkit không gửi mật khẩu qua kết nối không mã hoá.")
    return Server(kind, host, int(s.get("port") or (993 if kind == "imap" else 465)), security, user,
                  password(mail, user, env), str(s.get("ca_file") or ""), float(mail.get("timeout_s") or 30),
                  str(s.get("folder") or "INBOX"), str(s.get("from") or user))


def password(mail: dict, user: str, env: dict | None = None) -> str:
    """From the environment variable named in settings (mail.password_env), else from the OS keyring
    (Windows Credential Manager, macOS Keychain, Secret Service) under mail.keyring_service and the user."""
    env = os.environ if env is None else env
    var = str(mail.get("password_env") or "TOOLKIT_MAIL_PASSWORD")
    if env.get(var):
        return env[var]
    service = str(mail.get("keyring_service") or "toolkit-mail")
    try:
        import keyring

        value = keyring.get_password(service, user)
    except Exception:  # no keyring backend on this machine (a server without a desktop session)
        value = None
    if value:
        return value
    raise MailError(f"Chưa có mật khẩu hộp thư của {user}: đặt biến môi trường {var}, hoặc lưu vào kho mật khẩu "
                    f"của máy bằng: toolkit mail password THƯ_MỤC")


def save_password(mail: dict, user: str, secret: str) -> str:
    """Keep the password in the OS keyring; returns where it went. Raises MailError when there is none."""
    service = str(mail.get("keyring_service") or "toolkit-mail")
    try:
        import keyring

        keyring.set_password(service, user, secret)
        backend = type(keyring.get_keyring()).__name__
    except Exception as exc:
        raise MailError(f"Máy này không có kho mật khẩu dùng được ({type(exc).__name__}); dùng biến môi trường "
                        f"{mail.get('password_env') or 'TOOLKIT_MAIL_PASSWORD'} thay thế.") from None
    return backend


def explain(exc: BaseException, server: Server) -> MailError:
    """A Vietnamese message for a connection fault."""
    where = f"{server.host}:{server.port}"
    if isinstance(exc, ssl.SSLCertVerificationError) or (isinstance(exc, ssl.SSLError) and "CERTIFICATE" in str(exc)):
        return MailError(f"Chứng chỉ bảo mật của máy chủ thư {where} không hợp lệ hoặc không được tin cậy "
                         f"({getattr(exc, 'verify_message', '') or exc}). Kiểm tra tên máy chủ; nếu cơ quan dùng chứng "
                         f"chỉ riêng, ghi đường dẫn tệp chứng chỉ vào mail.{server.kind}.ca_file.")
    if isinstance(exc, ssl.SSLError):
        return MailError(f"Không thiết lập được kết nối mã hoá với {where} ({exc}). Kiểm tra cổng và kiểu bảo mật "
                         f"(tls: cổng {993 if server.kind == 'imap' else 465}; starttls: cổng "
                         f"{143 if server.kind == 'imap' else 587}).")
    if isinstance(exc, socket.gaierror):
        return MailError(f"Không tìm thấy máy chủ thư '{server.host}': kiểm tra tên máy chủ và kết nối mạng.")
    if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout, OSError)):
        return MailError(f"Không kết nối được máy chủ thư {where} ({type(exc).__name__}): kiểm tra mạng, tên máy chủ, "
                         "cổng; máy chủ có thể đang tạm ngừng.")
    return MailError(f"Lỗi khi làm việc với máy chủ thư {where}: {exc}")


def login_failed(server: Server) -> MailError:
    return MailError(f"Máy chủ thư {server.host} từ chối đăng nhập của {server.user}: sai tên đăng nhập hoặc mật khẩu "
                     "(với Gmail, Outlook.com: dùng mật khẩu ứng dụng; hộp thư công vụ: hỏi bộ phận quản trị đã bật "
                     "IMAP/SMTP chưa).")
