"""`coop config` commands: the settings of coop.toml by key."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, say, table
from coopkit.cli.state import get_state
from coopkit.errors import T
from coopkit.i18n import gettext, pgettext

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)

_KEY_HELP = "Schlüssel, z. B. land, locale, schedule.horizon_years, letterhead.city."


@app.callback()
def group() -> None:
    """Einstellungen in coop.toml: zeigen, setzen, entfernen (geprüft, mit Commit)."""


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


@command
def show_cmd(
    ctx: typer.Context,
    key: Annotated[str | None, typer.Argument(metavar="[SCHLÜSSEL]", help=_KEY_HELP)] = None,
) -> None:
    """Die geltenden Einstellungen zeigen; „Standard“ markiert, was coop.toml nicht setzt.

    Beispiel: coop config show letterhead.city
    """
    from coopkit.queries.settings import read_settings

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    settings = read_settings(service_ctx, key)
    if state.json:
        print_json(
            {
                "ok": True,
                "settings": [
                    {"key": s.key, "value": s.value, "default": s.default} for s in settings
                ],
            }
        )
        return
    marker = gettext("Standard", lang)
    headers = [
        pgettext("column", "Schlüssel", lang),
        pgettext("column", "Wert", lang),
        pgettext("column", "Herkunft", lang),
    ]
    rows = [[s.key, _shown(s.value), marker if s.default else "coop.toml"] for s in settings]
    say(table(headers, rows))


@command
def set_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="SCHLÜSSEL", help=_KEY_HELP)],
    values: Annotated[
        list[str],
        typer.Argument(
            metavar="WERT...",
            help="Neuer Wert; eine Liste (holidays.municipal) durch Komma getrennt oder als "
            "mehrere Werte.",
        ),
    ],
) -> None:
    """Eine Einstellung in coop.toml setzen: geprüft wie beim Lesen, ein Commit.

    Kommentare und Aufbau der übrigen Datei bleiben erhalten. Ein unbekannter Schlüssel oder
    ein ungültiger Wert wird abgelehnt (Exit-Code 2), nichts wird geschrieben. Die gepinnten
    Koordinationsschlüssel ändert nur coop trust pin.

    Beispiel: coop config set land RP
    """
    from coopkit.services.settings import set_setting

    state = get_state(ctx)
    service_ctx = state.context()
    result = set_setting(service_ctx, key, values, service_ctx.today if state.today else None)
    if state.json:
        print_json(
            {"ok": True, "key": result.key, "value": result.value, "commit": result.commit.commit}
        )
        return
    say(
        T("{k} = {v} (Commit {c})", "{k} = {v} (commit {c})", k=result.key,
          v=_shown(result.value), c=result.commit.commit[:10]),
        service_ctx.lang,
    )  # fmt: skip


@command
def unset_cmd(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="SCHLÜSSEL", help=_KEY_HELP)],
) -> None:
    """Eine Einstellung aus coop.toml entfernen: ab dann gilt ihr Standard (ein Commit).

    Beispiel: coop config unset letterhead.logo
    """
    from coopkit.services.settings import unset_setting

    state = get_state(ctx)
    service_ctx = state.context()
    result = unset_setting(service_ctx, key, service_ctx.today if state.today else None)
    if state.json:
        print_json({"ok": True, "key": result.key, "commit": result.commit.commit})
        return
    say(
        T(
            "{k} entfernt, es gilt der Standard (Commit {c})",
            "{k} removed, the default holds (commit {c})",
            k=result.key,
            c=result.commit.commit[:10],
        ),
        service_ctx.lang,
    )


app.command("show")(show_cmd)
app.command("set")(set_cmd)
app.command("unset")(unset_cmd)
