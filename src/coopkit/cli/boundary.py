"""The one error boundary: expected error -> its exit code, Ctrl-C -> 130, bug -> 3."""

from __future__ import annotations

import errno
import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer

from coopkit.cli.output import print_json, print_problems, problem_dict, say
from coopkit.cli.state import get_state
from coopkit.errors import CoopError, ExitCode, ProblemsFound, RepositoryError, T

P = ParamSpec("P")
R = TypeVar("R")
MARK = "__coop_boundary__"


def _language(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, bool]:
    for value in (*args, *kwargs.values()):
        # typer hands commands its vendored click context, not always a typer.Context.
        if callable(getattr(value, "find_root", None)):
            state = get_state(value)
            return state.language(), state.json
    return "de", False


def os_error(err: OSError) -> RepositoryError:
    """Explain an operating-system error (full disk, read-only, permissions) as exit 5."""
    reasons = {
        errno.ENOSPC: T("kein Platz mehr auf dem Datenträger", "no space left on the device"),
        errno.EDQUOT: T("Speicherkontingent erschöpft", "disk quota exceeded"),
        errno.EROFS: T("Dateisystem ist schreibgeschützt", "read-only file system"),
        errno.EACCES: T("keine Berechtigung", "permission denied"),
        errno.EPERM: T("nicht erlaubt", "operation not permitted"),
        errno.EIO: T("Ein-/Ausgabefehler", "input/output error"),
    }
    reason = reasons.get(err.errno or 0) or T("{e}", "{e}", e=err.strerror or type(err).__name__)
    where = err.filename if isinstance(err.filename, str) else ""
    return RepositoryError(
        T(
            "{r}{w}; nichts wurde übernommen",
            "{r}{w}; nothing was committed",
            r=reason,
            w=f": {where}" if where else "",
        )
    )


def _report(err: CoopError, lang: str, as_json: bool) -> None:
    if as_json:
        print_json(
            {"ok": False, "exit_code": int(err.exit_code), "message": err.message.format(lang)}
        )
    else:
        say(T("Fehler: {m}", "error: {m}", m=err.message), lang, err=True, one_line=True)
        if err.hint:
            say(err.hint, lang, err=True)


def command(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap a command so every failure ends in a message and a fixed exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        lang, as_json = _language(args, kwargs)
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except ProblemsFound as err:
            if as_json:
                print_json(
                    {
                        "ok": False,
                        "exit_code": int(err.exit_code),
                        "message": err.message.format(lang),
                        "problems": [problem_dict(p, lang) for p in err.problems],
                    }
                )
            else:
                print_problems(err.problems, lang, err=True)
                say(err.message, lang, err=True)
            raise typer.Exit(int(err.exit_code)) from None
        except CoopError as err:
            if as_json:
                print_json(
                    {
                        "ok": False,
                        "exit_code": int(err.exit_code),
                        "message": err.message.format(lang),
                    }
                )
            else:
                say(T("Fehler: {m}", "error: {m}", m=err.message), lang, err=True, one_line=True)
                if err.hint:
                    say(err.hint, lang, err=True)
            raise typer.Exit(int(err.exit_code)) from None
        except BrokenPipeError:
            # The reader (e.g. `| head`) has gone; stop quietly instead of reporting a bug.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(int(ExitCode.OK)) from None
        except KeyboardInterrupt:
            if as_json:
                print_json(
                    {
                        "ok": False,
                        "exit_code": int(ExitCode.INTERRUPTED),
                        "message": T("abgebrochen", "interrupted").format(lang),
                    }
                )
            else:
                say(T("abgebrochen", "interrupted"), lang, err=True)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OSError as err:
            # The disk, not coopkit: full, read-only, permission denied, I/O error.
            _report(os_error(err), lang, as_json)
            raise typer.Exit(int(ExitCode.REPOSITORY)) from None
        except MemoryError:
            _report(
                RepositoryError(T("nicht genug Arbeitsspeicher", "out of memory")), lang, as_json
            )
            raise typer.Exit(int(ExitCode.REPOSITORY)) from None
        except Exception as err:  # noqa: BLE001 - the boundary turns any bug into exit 3
            if os.environ.get("COOP_DEBUG"):
                traceback.print_exc()
            say(
                T(
                    "interner Fehler ({k}: {m}). Das ist ein Fehler in coopkit; bitte melden. "
                    "COOP_DEBUG=1 zeigt Details.",
                    "internal error ({k}: {m}). This is a bug in coopkit; please report it. "
                    "COOP_DEBUG=1 shows details.",
                    k=type(err).__name__,
                    m=str(err)[:200],
                ),
                lang,
                err=True,
            )
            sys.stderr.flush()
            if as_json:
                print_json(
                    {
                        "ok": False,
                        "exit_code": int(ExitCode.BUG),
                        "message": f"internal error ({type(err).__name__}: {str(err)[:200]})",
                    }
                )
            raise typer.Exit(int(ExitCode.BUG)) from None

    setattr(wrapper, MARK, True)
    return wrapper
