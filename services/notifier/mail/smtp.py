"""One SMTP transaction: connect (TLS as configured), authenticate, MAIL, RCPT, DATA — and what the server said.

No database here: the mail dispatcher sends outside any transaction and records the outcome
afterwards. The server's reply to DATA ("250 2.0.0 Ok: queued as 4Fv…") is the evidence that it
took responsibility for the message; we keep it verbatim (bounded).

What the answers mean (RFC 5321 §4.2.1): 2xx accepted; 4xx a transient failure, try again
later; 5xx permanent, do not repeat. Failures before the MAIL command — a refused connection,
a TLS or login error — are treated as transient: they are about our connection or our
configuration, not about the message, and an operator can fix them before the retries run out.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from dataclasses import dataclass

from shared.config import Settings

MAX_RESPONSE_CHARS = 500
SECURITY_MODES = ("starttls", "ssl", "none")


@dataclass(frozen=True, slots=True)
class SmtpOutcome:
    code: int | None
    response: str | None
    latency_ms: int
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.code is not None and 200 <= self.code < 300 and self.error is None

    @property
    def permanent(self) -> bool:
        return self.code is not None and self.code >= 500


class SmtpSender:
    """Sends composed messages with the configured server, security and credentials."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "starttls",
        user: str = "",
        password: str = "",
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        if security not in SECURITY_MODES:
            raise ValueError(f"SVERKA_SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.user, self.password, self.timeout = user, password, timeout
        self.tls_context = tls_context or ssl.create_default_context()

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSender:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls_context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.ehlo()
            smtp.starttls(context=self.tls_context)
        return smtp

    def send(self, sender: str, recipients: tuple[str, ...], message: bytes) -> SmtpOutcome:
        started = time.monotonic()
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            return SmtpOutcome(None, None, _ms(started), _error("connect", exc))
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.user:
                smtp.login(self.user, self.password)
            code, reply = smtp.mail(sender)
            if code != 250:
                return SmtpOutcome(code, _text(reply), _ms(started))
            for recipient in recipients:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    smtp.rset()
                    return SmtpOutcome(code, _text(reply), _ms(started), f"recipient {recipient} refused")
            code, reply = smtp.data(message)
            return SmtpOutcome(code, _text(reply), _ms(started))
        except smtplib.SMTPResponseException as exc:
            # A login refused is our configuration, not the message: report it without a code so it is retried.
            is_auth = isinstance(exc, smtplib.SMTPAuthenticationError)
            failed_code: int | None = None if is_auth else exc.smtp_code
            return SmtpOutcome(failed_code, _text(exc.smtp_error), _ms(started), _error("smtp", exc))
        except (OSError, smtplib.SMTPException) as exc:
            return SmtpOutcome(None, None, _ms(started), _error("network error", exc))
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _text(reply: bytes | str) -> str:
    value = reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else str(reply)
    return value[:MAX_RESPONSE_CHARS]


def _error(kind: str, exc: BaseException) -> str:
    detail = str(exc) or type(exc).__name__
    return f"{kind}: {type(exc).__name__}: {detail}"[:MAX_RESPONSE_CHARS]
