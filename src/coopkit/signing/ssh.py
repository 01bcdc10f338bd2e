"""SSH signatures of sign-off records through `ssh-keygen -Y` (namespace `coopkit-signoff`)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from coopkit.errors import ConfigError, T, UsageError
from coopkit.model.partner import SigningKey

NAMESPACE = "coopkit-signoff"
KEY_NAMESPACE = "coopkit-key"
ERASURE_NAMESPACE = "coopkit-erasure"
"""Namespace of key registrations and revocations: a sign-off signature never passes for one."""
_TIMEOUT = 60


@dataclass(frozen=True)
class Verdict:
    """Whether a signature holds, and why not."""

    ok: bool
    reason: T | None = None


def ssh_keygen() -> str:
    """Return the ssh-keygen binary; a configuration error when it is not installed."""
    found = shutil.which("ssh-keygen")
    if found is None:
        raise ConfigError(
            T(
                "ssh-keygen wurde nicht gefunden; für SSH-Signaturen bitte OpenSSH "
                "(Paket openssh-client) installieren",
                "ssh-keygen was not found; install OpenSSH (package openssh-client) "
                "for SSH signatures",
            )
        )
    return found


def _stamp(day: date) -> str:
    return day.strftime("%Y%m%d")


def allowed_signers(keys: Iterable[tuple[str, SigningKey]], namespace: str = NAMESPACE) -> str:
    """Return an allowed-signers file: one line per (identity, key), with its validity window."""
    lines = []
    for identity, key in keys:
        options = [f'namespaces="{namespace}"']
        if key.valid_after:
            options.append(f'valid-after="{_stamp(key.valid_after)}"')
        if key.valid_before:
            options.append(f'valid-before="{_stamp(key.valid_before)}"')
        key_type, key_data = key.key.split()[:2]
        lines.append(f"{identity} {','.join(options)} {key_type} {key_data}")
    return "".join(line + "\n" for line in lines)


def _run(args: list[str], payload: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            [ssh_keygen(), *args],
            input=payload,
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as err:
        raise UsageError(
            T(
                "ssh-keygen hat nicht innerhalb von {s} s geantwortet (Passphrase?)",
                "ssh-keygen did not answer within {s} s (passphrase?)",
                s=_TIMEOUT,
            )
        ) from err


_CAUSES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"key has expired|valid-before", re.I),
        "der Schlüssel war an diesem Tag nicht mehr gültig",
        "the key was no longer valid on that day",
    ),
    (
        re.compile(r"not yet valid|valid-after", re.I),
        "der Schlüssel war an diesem Tag noch nicht gültig",
        "the key was not yet valid on that day",
    ),
    (
        re.compile(r"namespace does not match", re.I),
        "die Signatur gehört zu einem anderen Zweck (Namensraum)",
        "the signature belongs to another purpose (namespace)",
    ),
    (
        re.compile(r"incorrect passphrase|passphrase", re.I),
        "der Schlüssel ist mit einer Passphrase geschützt, die hier nicht eingegeben werden kann"
        " (ssh-agent verwenden oder Schlüssel ohne Passphrase)",
        "the key is protected by a passphrase that cannot be entered here"
        " (use ssh-agent or a key without passphrase)",
    ),
    (
        re.compile(r"No such file or directory|Couldn't load", re.I),
        "die Schlüsseldatei ist nicht lesbar oder kein SSH-Schlüssel",
        "the key file is not readable or not an SSH key",
    ),
    (
        re.compile(r"parse signature|armor|invalid format|incomplete message", re.I),
        "die Signatur ist beschädigt oder keine SSH-Signatur",
        "the signature is damaged or not an SSH signature",
    ),
    (
        re.compile(r"Could not verify|verification failed|incorrect signature", re.I),
        "die Signatur passt nicht zu Text und Schlüssel",
        "the signature does not match text and key",
    ),
)


def _stderr(result: subprocess.CompletedProcess[bytes]) -> T:
    """Say in words why ssh-keygen refused: its own messages are English only.

    The known causes are named in both languages; anything else is reported with the exit
    code (and, in English, ssh-keygen's own words).
    """
    said = result.stderr.decode("utf-8", "replace").strip().replace("\n", "; ")
    for pattern, de, en in _CAUSES:
        if pattern.search(said):
            return T(de, en)
    return T(
        "ssh-keygen meldet einen Fehler (Exit-Code {c})",
        "ssh-keygen reports an error (exit code {c}): {s}",
        c=result.returncode,
        s=said or "-",
    )


def sign(payload: bytes, key_file: Path, namespace: str = NAMESPACE) -> str:
    """Sign bytes with a private key file; return the armored SSH signature."""
    if not key_file.is_file():
        raise UsageError(
            T("Schlüsseldatei „{k}“ nicht gefunden", 'key file "{k}" not found', k=str(key_file))
        )
    result = _run(["-Y", "sign", "-q", "-n", namespace, "-f", str(key_file)], payload)
    signature = result.stdout.decode("ascii", "replace")
    if result.returncode != 0 or "BEGIN SSH SIGNATURE" not in signature:
        raise UsageError(
            T(
                "Signieren mit „{k}“ fehlgeschlagen: {e}",
                'signing with "{k}" failed: {e}',
                k=str(key_file),
                e=_stderr(result),
            )
        )
    return signature if signature.endswith("\n") else signature + "\n"


def verify(
    payload: bytes,
    signature: str,
    allowed: str,
    identity: str,
    when: date,
    namespace: str = NAMESPACE,
) -> Verdict:
    """Check a signature over bytes against an allowed-signers text, as of the day `when`."""
    if not allowed.strip():
        return Verdict(
            False,
            T(
                "für „{i}“ ist kein Signaturschlüssel registriert",
                'no signing key is registered for "{i}"',
                i=identity,
            ),
        )
    with tempfile.TemporaryDirectory(prefix="coop-verify-") as tmp:
        allowed_file = Path(tmp, "allowed_signers")
        allowed_file.write_text(allowed, encoding="utf-8")
        sig_file = Path(tmp, "record.sig")
        sig_file.write_text(signature, encoding="ascii", errors="replace")
        result = _run(
            [
                "-Y",
                "verify",
                "-f",
                str(allowed_file),
                "-I",
                identity,
                "-n",
                namespace,
                "-s",
                str(sig_file),
                # Noon of the record's day: a key valid before that day no longer counts on it.
                f"-Overify-time={_stamp(when)}1200",
            ],
            payload,
        )
    if result.returncode == 0:
        return Verdict(True)
    return Verdict(
        False,
        T(
            "SSH-Signatur passt nicht zu einem registrierten Schlüssel von „{i}“ "
            "(gültig am {d}): {e}",
            'SSH signature does not match a registered key of "{i}" (valid on {d}): {e}',
            i=identity,
            d=when.isoformat(),
            e=_stderr(result),
        ),
    )
