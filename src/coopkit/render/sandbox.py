"""Rendering within limits: a forked child with bounded memory, CPU time, wall-clock and output.

The Jinja sandbox stops attribute escapes but not `{% for %}` nests, `9**(9**9)` or
`'%999999999d' % 1`. Each render therefore runs in a child process (`os.fork`, so the context
needs no pickling) that sets `RLIMIT_AS` and `RLIMIT_CPU` and sends the rendered bytes back
through a pipe; the parent stops it after a wall-clock timeout and refuses oversized output.
A template that exceeds a limit ends in a TemplateError (exit 7) naming the template.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from coopkit.errors import T, TemplateError


@dataclass
class Limits:
    """How much one render may take."""

    seconds: float = 8.0
    """Wall-clock time, and (rounded up) CPU time of the child."""
    memory: int = 512 * 1024 * 1024
    """Address space the child may add to what the parent already uses."""
    output: int = 100 * 1024 * 1024
    """Largest rendered document."""


LIMITS = Limits()
"""The limits every render runs under (tests lower them)."""

_HEADER = struct.Struct("!cQ")
_OK, _ERROR = b"O", b"E"


def _exceeded(name: str, de: str, en: str, **params: object) -> TemplateError:
    return TemplateError(
        T(
            "{n}: " + de + "; die Vorlage wurde abgebrochen",
            "{n}: " + en + "; the template was stopped",
            n=name,
            **params,
        )
    )


def _error_payload(exc: BaseException, name: str) -> bytes:
    if isinstance(exc, TemplateError):
        message = {"de": exc.message.format("de"), "en": exc.message.format("en")}
    elif isinstance(exc, MemoryError):
        message = {
            "de": f"{name}: braucht zu viel Speicher; die Vorlage wurde abgebrochen",
            "en": f"{name}: needs too much memory; the template was stopped",
        }
    elif isinstance(exc, RecursionError):
        message = {
            "de": f"{name}: zu tiefe Rekursion (Makro ruft sich selbst auf?)",
            "en": f"{name}: recursion too deep (a macro calling itself?)",
        }
    else:
        text = str(exc)[:300]
        message = {
            "de": f"{name}: Vorlagenfehler: {type(exc).__name__}: {text}",
            "en": f"{name}: template error: {type(exc).__name__}: {text}",
        }
    return json.dumps(message).encode()


def _virtual_size() -> int:
    try:
        with open("/proc/self/statm", "rb") as handle:  # noqa: PTH123
            pages = int(handle.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _child(work: Callable[[], bytes], name: str, limits: Limits, out: int) -> None:
    """Run in the forked child: limit, render, report; never returns."""
    status = 0
    try:
        import resource

        current = _virtual_size()
        if current:
            budget = current + limits.memory
            resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
        cpu = int(limits.seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        try:
            data = work()
            if len(data) > limits.output:
                raise _exceeded(
                    name,
                    "Ausgabe größer als {m} Bytes",
                    "output larger than {m} bytes",
                    m=limits.output,
                )
            kind = _OK
        except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent
            data, kind = _error_payload(exc, name), _ERROR
        view = memoryview(_HEADER.pack(kind, len(data)) + data)
        while view:
            written = os.write(out, view)
            view = view[written:]
    except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
        status = 1
    finally:
        os._exit(status)


def _receive(pid: int, fd: int, name: str, limits: Limits) -> tuple[bytes, bytes]:
    """Read the child's answer within the wall-clock limit; kill it when it takes too long."""
    deadline = time.monotonic() + limits.seconds
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _exceeded(
                name,
                "braucht länger als {s} Sekunden",
                "takes longer than {s} seconds",
                s=limits.seconds,
            )
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limits.output + _HEADER.size + 65536:
            raise _exceeded(
                name,
                "Ausgabe größer als {m} Bytes",
                "output larger than {m} bytes",
                m=limits.output,
            )
    data = b"".join(chunks)
    if len(data) < _HEADER.size:
        return b"", b""
    kind, length = _HEADER.unpack_from(data)
    return kind, data[_HEADER.size : _HEADER.size + length]


def _items(value: Any, cap: int) -> int:
    """Count the entries of lists and mappings in a render context, stopping at `cap`."""
    count = 0
    pending = [value]
    while pending and count < cap:
        item = pending.pop()
        if isinstance(item, dict):
            count += len(item)
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            count += len(item)
            pending.extend(item)
    return count


def limits_for(context: Any, limits: Limits | None = None) -> Limits:
    """Return the limits for rendering `context`: more time for a larger context.

    A hostile template over a small repository stops after the base time; a Land-scale
    checklist with tens of thousands of rows gets one more second per 2,000 entries (at most
    two minutes in all).
    """
    base = limits or LIMITS
    extra = _items(context, 240_000) / 2000
    return replace(base, seconds=min(base.seconds + extra, max(base.seconds, 120.0)))


def run_limited(name: str, work: Callable[[], bytes], limits: Limits | None = None) -> bytes:
    """Return `work()` computed in a child process within `limits`.

    Args:
        name: the template's file name, for messages.
        work: renders and returns bytes; may raise TemplateError.
        limits: the limits (LIMITS when None).

    Raises:
        TemplateError: the render failed or exceeded a limit.
    """
    limits = limits or LIMITS
    if not hasattr(os, "fork"):
        data = work()
        if len(data) > limits.output:
            raise _exceeded(
                name,
                "Ausgabe größer als {m} Bytes",
                "output larger than {m} bytes",
                m=limits.output,
            )
        return data
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        _child(work, name, limits, write_end)
    os.close(write_end)
    finished = False
    try:
        kind, payload = _receive(pid, read_end, name, limits)
        _, status = os.waitpid(pid, 0)
        finished = True
    finally:
        os.close(read_end)
        if not finished:
            _stop(pid)
    if kind == _OK:
        return payload
    if kind == _ERROR:
        message = json.loads(payload.decode())
        raise TemplateError(T(message["de"], message["en"]))
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        raise _exceeded(
            name,
            "braucht mehr als {s} Sekunden Rechenzeit",
            "needs more than {s} seconds of CPU time",
            s=limits.seconds,
        )
    raise _exceeded(
        name,
        "Ausgabe vorzeitig beendet (zu viel Speicher?)",
        "render ended early (too much memory?)",
    )


def _stop(pid: int) -> None:
    """Kill a child that ran over its time and collect it."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
