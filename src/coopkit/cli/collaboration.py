"""Working together: `coop trust`, `coop remote add`, `coop sync`, `coop ci print`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from coopkit.cli.boundary import command
from coopkit.cli.output import print_json, problem_dict, say
from coopkit.cli.state import get_state
from coopkit.errors import ExitCode, T, UsageError

if TYPE_CHECKING:
    from coopkit.services.sync import SyncResult

trust_app = typer.Typer(no_args_is_help=True)
remote_app = typer.Typer(no_args_is_help=True)
ci_app = typer.Typer(no_args_is_help=True)


@trust_app.callback()
def trust_group() -> None:
    """Wurzel des Vertrauens: gepinnte Koordinationsschlüssel und registrierte Partnerschlüssel."""


@remote_app.callback()
def remote_group() -> None:
    """Gemeinsame git-Gegenstellen (Forgejo, Gitea, GitLab, Bare-Repository auf einem Share)."""


@ci_app.callback()
def ci_group() -> None:
    """CI-Pipelines: coop check und coop agreement verify bei jedem Push."""


@trust_app.command("pin")
@command
def pin_cmd(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(
            metavar="SCHLÜSSEL",
            help="Öffentlicher Schlüssel der Koordination (.pub) oder sein Fingerabdruck.",
        ),
    ],
) -> None:
    """Einen Schlüssel der Koordination in coop.toml pinnen ([trust] coordinator_keys).

    Beispiel: coop trust pin ~/.ssh/koordination.pub
    """
    from coopkit.services.inputs import MAX_KEY_BYTES, read_input_text
    from coopkit.services.keys import pin_key

    state = get_state(ctx)
    service_ctx = state.context()
    text = key
    if not key.startswith("SHA256:"):
        text = read_input_text(Path(key), T("Schlüsseldatei", "key file"), MAX_KEY_BYTES)
    result = pin_key(service_ctx, text, service_ctx.today if state.today else None)
    if state.json:
        print_json(
            {
                "ok": True,
                "fingerprint": result.fingerprint,
                "commit": result.commit.commit,
                "unsigned": list(result.unsigned),
            }
        )
        return
    say(
        T("{f} in coop.toml gepinnt", "{f} pinned in coop.toml", f=result.fingerprint),
        service_ctx.lang,
    )
    say(
        T(
            "Ab jetzt zählt eine Freigabe nur, wenn ein registrierter Schlüssel des Partners sie "
            "signiert hat (coop partner key add) oder die Koordination Papier/QES mit ihrem "
            "Schlüssel bestätigt; unsignierte Freigaben zählen nicht mehr.",
            "From now on an approval counts only when a registered key of the partner signed it "
            "(coop partner key add) or the coordinator attests paper/QES with their key; unsigned "
            "approvals no longer count.",
        ),
        service_ctx.lang,
    )
    if result.unsigned:
        say(
            T(
                "{n} bisher gezählte Freigabe(n) ohne Signatur zählen nicht mehr (coop check "
                "nennt sie): {p}",
                "{n} unsigned approval(s) that counted until now no longer count (coop check "
                "names them): {p}",
                n=len(result.unsigned),
                p=", ".join(result.unsigned),
            ),
            service_ctx.lang,
        )


@trust_app.command("show")
@command
def show_cmd(ctx: typer.Context) -> None:
    """Gepinnte Schlüssel und je Partner die vertrauenswürdigen Schlüssel mit ihrer Kette.

    Beispiel: coop trust show
    """
    from coopkit.queries.load import snapshot
    from coopkit.queries.trust import build_registry, describe_chain

    state = get_state(ctx)
    service_ctx = state.context()
    lang = service_ctx.lang
    registry = build_registry(snapshot(service_ctx))
    if state.json:
        print_json(
            {
                "ok": True,
                "coordinator_keys": registry.roots,
                "keys": [
                    {
                        "partner": k.partner,
                        "fingerprint": k.fingerprint,
                        "registered_by": k.registered_by,
                        "registered_on": k.registered_on,
                        "confirmed": k.confirmed,
                        "signed_by": k.signer,
                        "revoked_from": k.revoked_from,
                        "chain": [c.format(lang) for c in describe_chain(registry, k)],
                    }
                    for k in registry.trusted.values()
                ],
                "problems": [p.format(lang) for p in registry.problems],
            }
        )
        return
    say(T("Gepinnt (coop.toml):", "Pinned (coop.toml):"), lang)
    for fp in registry.roots or ["—"]:
        say(f"  {fp}")
    for (partner, fp), key in sorted(registry.trusted.items()):
        revoked = (
            T(" – widerrufen ab {d}", " – revoked from {d}", d=key.revoked_from.isoformat()).format(
                lang
            )
            if key.revoked_from
            else ""
        )
        say(f"{partner}: {fp}{revoked}")
        for line in describe_chain(registry, key):
            say(f"  ← {line.format(lang)}")
    for problem in registry.problems:
        say(problem.format(lang))


@remote_app.command("add")
@command
def remote_add_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Name, z. B. origin.")],
    url: Annotated[str, typer.Argument(metavar="URL", help="Adresse der Gegenstelle.")],
) -> None:
    """Eine gemeinsame Gegenstelle eintragen und die feldweise Zusammenführung einrichten.

    Beispiel: coop remote add origin ssh://git@forgejo.kreis.example/integration/koop.git
    """
    from coopkit.services.sync import add_remote

    state = get_state(ctx)
    service_ctx = state.context()
    result = add_remote(service_ctx, name, url)
    lang = service_ctx.lang
    if state.json:
        print_json(
            {
                "ok": True,
                "name": name,
                "url": url,
                "commit": result.commit.commit if result.commit else None,
                "notes": [n.format(lang) for n in result.notes],
            }
        )
        return
    say(T("Gegenstelle {n} eingetragen: {u}", "remote {n} added: {u}", n=name, u=url), lang)
    for note in result.notes:
        say(note, lang)


@command
def sync_cmd(
    ctx: typer.Context,
    remote: Annotated[
        str, typer.Option("--remote", metavar="NAME", help="Gegenstelle (Standard origin).")
    ] = "origin",
    keep: Annotated[
        str | None,
        typer.Option(
            "--keep",
            metavar="mine|theirs",
            help="Bei Konflikten je Datensatz die eigene (mine) oder die entfernte (theirs) "
            "Fassung nehmen.",
        ),
    ] = None,
    restore: Annotated[
        bool,
        typer.Option(
            "--restore",
            help="Wurde die Geschichte der Gegenstelle umgeschrieben: die eigene zurücksenden "
            "(fehlende Commits kommen wieder hinzu).",
        ),
    ] = False,
    accept_rewrite: Annotated[
        bool,
        typer.Option(
            "--accept-rewrite",
            help="Wurde die Geschichte der Gegenstelle umgeschrieben: sie übernehmen (fehlende "
            "Commits entfallen, eigene neue werden daraufgesetzt).",
        ),
    ] = False,
) -> None:
    """Abgleichen: holen, eigene Commits auf den gemeinsamen Stand setzen, prüfen, senden.

    Konflikte werden je Datensatz erklärt; das Repository bleibt dann wie vor dem Abgleich.
    Probleme in erhaltenen Commits (z. B. eine Freigabe, die nicht zählt) und verschobene Tags
    werden mit Commit, Autor und Datei genannt; der Abgleich sendet die eigenen Commits trotzdem
    und endet mit Exit-Code 1. Eine umgeschriebene Geschichte der Gegenstelle hält den Abgleich
    an (Exit-Code 5), bis --restore oder --accept-rewrite entscheidet.

    Beispiel: coop sync
    """
    from coopkit.cli.progress import READING, Progress
    from coopkit.services.sync import sync

    state = get_state(ctx)
    service_ctx = state.context()
    if keep not in (None, "mine", "theirs"):
        raise UsageError(T("--keep: erwartet mine oder theirs", "--keep: expected mine or theirs"))
    if restore and accept_rewrite:
        raise UsageError(
            T(
                "--restore und --accept-rewrite schließen einander aus",
                "--restore and --accept-rewrite exclude each other",
            )
        )
    rewrite = "restore" if restore else "accept" if accept_rewrite else None
    with Progress(READING, service_ctx.lang, quiet=state.json) as progress:
        result = sync(
            service_ctx,
            remote,
            keep,  # type: ignore[arg-type]
            rewrite=rewrite,  # type: ignore[arg-type]
            progress=progress,
            step=progress.step,
        )
    lang = service_ctx.lang
    code = ExitCode.PROBLEMS if result.problems_found else ExitCode.OK
    if state.json:
        print_json(
            {
                "ok": not result.problems_found,
                "exit_code": int(code),
                "remote": result.remote,
                "branch": result.branch,
                "received": result.received,
                "sent": result.sent,
                "resolved": result.resolved,
                "moved_tags": result.moved_tags,
                "incoming_problems": [
                    {**problem_dict(i.problem, lang), "commit": i.commit, "author": i.author}
                    for i in result.incoming
                ],
                "tag_conflicts": [
                    {"tag": c.name, "ours": c.ours, "theirs": c.theirs} for c in result.tag_clashes
                ],
                "rewrite": result.rewrite,
                "erasures": result.erasures,
                "dropped": [
                    {"commit": d.commit, "author": d.author, "subject": d.subject}
                    for d in result.dropped
                ],
                "notes": [n.format(lang) for n in result.notes],
            }
        )
        raise typer.Exit(int(code))
    say(
        T(
            "abgeglichen mit {r}/{b}: {i} Commit(s) erhalten, {o} gesendet",
            "synced with {r}/{b}: {i} commit(s) received, {o} sent",
            r=result.remote,
            b=result.branch,
            i=result.received,
            o=result.sent,
        ),
        lang,
    )
    for path in result.resolved:
        say(
            T(
                "  {p}: Konflikt aufgelöst ({k})",
                "  {p}: conflict resolved ({k})",
                p=path,
                k=keep or "",
            ),
            lang,
        )
    if result.rewrite is not None:
        say(
            T(
                "umgeschriebene Geschichte: {n} fehlende(r) Commit(s) wieder gesendet",
                "rewritten history: {n} missing commit(s) sent again",
                n=len(result.dropped),
            )
            if result.rewrite == "restore"
            else T(
                "umgeschriebene Geschichte übernommen: {n} Commit(s) entfallen",
                "rewritten history taken: {n} commit(s) dropped",
                n=len(result.dropped),
            ),
            lang,
        )
    for note in result.notes:
        say(note, lang)
    _report_incoming(result, lang)
    raise typer.Exit(int(code))


def _report_incoming(result: SyncResult, lang: str) -> None:
    """Print the problems that arrived: each with commit, author and file; then moved tags."""
    where = f"{result.remote}/{result.branch}"
    if result.incoming:
        say(
            T(
                "Von {w} erhalten, mit {n} Problem(en) – was sie betreffen, zählt nicht; mit der "
                "Organisation klären, die den Commit gesendet hat:",
                "received from {w} with {n} problem(s) – what they concern does not count; "
                "settle it with the organisation that sent the commit:",
                w=where,
                n=len(result.incoming),
            ),
            lang,
        )
        for item in result.incoming:
            who = (
                T("Commit {c} ({a})", "commit {c} ({a})", c=item.commit, a=item.author or "?")
                if item.commit
                else T("erhalten", "received")
            )
            say(f"  {who.format(lang)}: {item.problem.format(lang)}", one_line=True)
    for clash in result.tag_clashes:
        say(
            T(
                "Tag {t}: hier {o}, auf {r} {h} – die Fassung zeigt auf zwei verschiedene "
                "Commits; klären, welche gilt. Gilt die von {r}: git tag -d {t}, dann coop sync. "
                "Gilt die eigene: mit dem Partner klären, der den Tag dort verschoben hat.",
                "tag {t}: here {o}, on {r} {h} – the version points at two different commits; "
                "settle which holds. If {r}'s: git tag -d {t}, then coop sync. If yours: settle "
                "it with the partner who moved the tag there.",
                t=clash.name,
                o=clash.ours[:7],
                h=clash.theirs[:7],
                r=result.remote,
            ),
            lang,
        )


@ci_app.command("print")
@command
def ci_print_cmd(
    ctx: typer.Context,
    platform: Annotated[str, typer.Argument(metavar="forgejo|gitlab", help="Plattform.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="DATEI", help="In diese Datei schreiben."),
    ] = None,
    install: Annotated[
        str,
        typer.Option("--install", metavar="TEXT", help="Wie coopkit im CI installiert wird."),
    ] = "pip install coopkit",
) -> None:
    """Eine CI-Pipeline ausgeben, die bei jedem Push coop check und coop agreement verify läuft.

    Beispiel: coop ci print forgejo -o .forgejo/workflows/coop.yaml
    """
    from coopkit.services.ci import pipeline

    result = pipeline(platform, install=install)
    if output is None:
        sys.stdout.write(result.text)
        return
    from coopkit.services.outputs import write_output

    write_output(get_state(ctx).context(discover=False), output, result.text.encode("utf-8"))
    say(
        T("{f} geschrieben ({p})", "{f} written ({p})", f=str(output), p=result.path),
        get_state(ctx).language(),
    )


@command
def merge_driver_cmd(
    ctx: typer.Context,
    base: Annotated[Path, typer.Argument()],
    ours: Annotated[Path, typer.Argument()],
    theirs: Annotated[Path, typer.Argument()],
    path: Annotated[str, typer.Argument()] = "",
) -> None:
    """Git-Merge-Treiber für coop-Datensätze (von git aufgerufen, nicht von Hand).

    Beispiel (eingerichtet von coop remote add und coop sync): coop merge-driver %O %A %B %P
    """
    from coopkit.services.sync import merge_files

    where = merge_files(base, ours, theirs, path)
    if where is not None:
        sys.stderr.write(f"coop: {path}: {where}\n")
        raise typer.Exit(1)


app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)


@app.callback()
def group() -> None:
    """Zusammenarbeit: abgleichen, Gegenstellen, Wurzel des Vertrauens, CI."""


app.command("sync")(sync_cmd)
app.command("merge-driver", hidden=True)(merge_driver_cmd)
app.add_typer(trust_app, name="trust")
app.add_typer(remote_app, name="remote")
app.add_typer(ci_app, name="ci")
