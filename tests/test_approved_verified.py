"""Approved means verified: one verdict per sign-off, used by every view, check and verify."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, git
from coopkit.signing.keys import fingerprint
from docx_helpers import document_text
from test_collaboration import (  # noqa: F401 - the fixture is used by name
    CA,
    JC,
    Org,
    Orgs,
    _forge_signoff,
    orgs,
    run,
)


def _sign(cli: Cli, org: Org, partner: str, day: str, *extra: object, ok: bool = True) -> object:
    args = ("agreement", "sign", "koop", "--partner", partner, "--signatory", "X", "--date", day)
    return run(cli, org, *args, *extra, ok=ok)


def _status(cli: Cli, org: Org) -> dict[str, object]:
    out = run(cli, org, "--json", "agreement", "show", "koop").stdout  # type: ignore[attr-defined]
    return json.loads(out)


def _approved_everywhere(cli: Cli, org: Org) -> tuple[bool, bool, bool]:
    """Return (in force by show, check clean, verify clean) of one clone."""
    shown = _status(cli, org)
    checked = run(cli, org, "check", ok=None).exit_code  # type: ignore[attr-defined]
    verified = run(cli, org, "agreement", "verify", ok=None).exit_code  # type: ignore[attr-defined]
    return bool(shown["in_force"]), checked == 0, verified == 0


def _all_sign(cli: Cli, clones: Orgs) -> None:
    run(cli, clones.kv, "sync")
    for org, partner in ((clones.kv, "kreis"), (clones.jc, "jobcenter"), (clones.ca, "caritas")):
        run(cli, org, "sync")
        _sign(cli, org, partner, "2014-01-20", "--ssh-key", org.key)
        run(cli, org, "sync")
    run(cli, clones.kv, "sync")


@pytest.fixture
def keyed(orgs: Orgs, cli: Cli) -> Orgs:  # noqa: F811 - the imported fixture
    """The three clones after the fixture's keys and release reached each of them."""
    for org in (orgs.jc, orgs.ca):
        run(cli, org, "sync")
    return orgs


def test_unsigned_approval_in_another_partners_name_is_refused(keyed: Orgs, cli: Cli) -> None:
    # No key: nobody records an approval when the repository pins coordinator keys.
    refused = _sign(cli, keyed.ca, "jobcenter", "2014-01-20", ok=False)
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "coordinator_keys" in refused.stderr  # type: ignore[attr-defined]
    # The welfare organisation's own key does not speak for the job centre.
    refused = _sign(cli, keyed.ca, "jobcenter", "2014-01-20", "--ssh-key", keyed.ca.key, ok=False)
    assert "kein vertrauenswürdiger Schlüssel von jobcenter" in refused.stderr  # type: ignore[attr-defined]


def test_a_hand_written_unsigned_approval_counts_nowhere(
    keyed: Orgs, cli: Cli, tmp_path: Path
) -> None:
    _sign(cli, keyed.kv, "kreis", "2014-01-20", "--ssh-key", keyed.kv.key)
    _sign(cli, keyed.kv, "caritas", "2014-01-20", "--ssh-key", keyed.ca.key)
    # The job centre's approval written by hand, unsigned, committed by someone else.
    record = (keyed.kv.root / "agreements/koop/signoffs/v1/caritas.yaml").read_text()
    forged = keyed.kv.root / "agreements/koop/signoffs/v1/jobcenter.yaml"
    lines = [
        line.replace("caritas", "jobcenter")
        for line in record.splitlines()
        if not line.startswith(("signature", " ", "-"))
    ]
    forged.write_text("\n".join(lines) + "\n")
    git(keyed.kv.root, "add", "-A")
    git(keyed.kv.root, "commit", "-qm", "jobcenter approval")
    in_force, check_clean, verify_clean = _approved_everywhere(cli, keyed.kv)
    assert (in_force, check_clean, verify_clean) == (False, False, False)
    shown = _status(cli, keyed.kv)
    assert shown["missing"] == ["jobcenter"] or "jobcenter" in str(shown["missing"])
    text = run(cli, keyed.kv, "agreement", "show", "koop").stdout  # type: ignore[attr-defined]
    assert "jobcenter" in text and "ZÄHLT NICHT" in text and "ohne Signatur" in text
    checked = run(cli, keyed.kv, "check", ok=False).stdout  # type: ignore[attr-defined]
    assert "signoffs/v1/jobcenter.yaml:1:1: Freigabe zählt nicht: ohne Signatur" in checked
    status = run(cli, keyed.kv, "status").stdout  # type: ignore[attr-defined]
    assert "in Kraft" not in status.split("koop", 1)[1].splitlines()[0]
    # The real job centre cannot sign over it; the coordinator withdraws it, then it can.
    refused = _sign(cli, keyed.kv, "jobcenter", "2014-01-21", "--ssh-key", keyed.jc.key, ok=False)
    assert "coop agreement withdraw koop --partner jobcenter" in refused.stderr  # type: ignore[attr-defined]
    withdraw = (
        "agreement",
        "withdraw",
        "koop",
        "--partner",
        "jobcenter",
        "--reason",
        "nicht von uns",
    )
    unsigned = run(cli, keyed.kv, *withdraw, ok=False)
    assert unsigned.exit_code == 2  # type: ignore[attr-defined]
    wrong = run(cli, keyed.kv, *withdraw, "--ssh-key", keyed.ca.key, ok=False)
    assert "kein vertrauenswürdiger Schlüssel von jobcenter" in wrong.stderr  # type: ignore[attr-defined]
    run(cli, keyed.kv, *withdraw, "--ssh-key", keyed.coordinator, "--date", "2014-01-21")
    assert not forged.exists()
    kept = list((keyed.kv.root / "agreements/koop/withdrawals/v1").glob("jobcenter-*.yaml"))
    assert len(kept) == 1 and "nicht von uns" in kept[0].read_text()
    _sign(cli, keyed.kv, "jobcenter", "2014-01-21", "--ssh-key", keyed.jc.key)
    assert _approved_everywhere(cli, keyed.kv) == (True, True, True)
    text = run(cli, keyed.kv, "agreement", "show", "koop").stdout  # type: ignore[attr-defined]
    assert "Freigabe am 2014-01-21 zurückgezogen" in text
    # Putting the withdrawn record back does not make it count again.
    git(keyed.kv.root, "rm", "-q", "agreements/koop/signoffs/v1/jobcenter.yaml")
    forged.write_text("\n".join(lines) + "\n")
    git(keyed.kv.root, "add", "-A")
    git(keyed.kv.root, "commit", "-qm", "restore")
    assert _approved_everywhere(cli, keyed.kv) == (False, False, False)


def test_a_signoff_copied_into_a_new_version_counts_nowhere(keyed: Orgs, cli: Cli) -> None:
    _all_sign(cli, keyed)
    assert _approved_everywhere(cli, keyed.kv) == (True, True, True)
    agreement = keyed.kv.root / "agreements/koop/agreement.md"
    agreement.write_text(agreement.read_text().replace("Kooperation", "Zusammenarbeit", 1))
    git(keyed.kv.root, "commit", "-qam", "text")
    run(cli, keyed.kv, "agreement", "release", "koop", "--date", "2014-02-01")
    v2 = _status(cli, keyed.kv)["versions"][1]  # type: ignore[index]
    v2_hash = v2["content_hash"]
    for partner in ("kreis", "jobcenter", "caritas"):
        source = keyed.kv.root / f"agreements/koop/signoffs/v1/{partner}.yaml"
        target = keyed.kv.root / f"agreements/koop/signoffs/v2/{partner}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text().replace("version: v1", "version: v2")
        old_hash = next(line for line in text.splitlines() if line.startswith("content_hash"))
        target.write_text(text.replace(old_hash, f"content_hash: {v2_hash}"))
        shutil.copymode(source, target)
    git(keyed.kv.root, "add", "-A")
    git(keyed.kv.root, "commit", "-qm", "copied approvals", "--date", "2014-02-03T12:00:00")
    shown = _status(cli, keyed.kv)
    assert shown["in_force_version"] == "v1"
    assert sorted(shown["missing"]) == ["caritas", "jobcenter", "kreis"]  # type: ignore[arg-type]
    checked = run(cli, keyed.kv, "check", ok=False).stdout  # type: ignore[attr-defined]
    assert (
        "in 3 Datei(en)" in checked and "die Signatur passt nicht zu Text und Schlüssel" in checked
    )
    run(cli, keyed.kv, "agreement", "verify", ok=False)


def test_a_revoked_key_cannot_act_by_typing_an_earlier_date(
    keyed: Orgs, cli: Cli, ssh_keygen: str
) -> None:
    fp = fingerprint(Path(f"{keyed.ca.key}.pub").read_text())
    assert fp
    revoke = ("partner", "key", "revoke", "caritas", fp, "--date", "2014-02-01")
    run(cli, keyed.kv, *revoke, "--ssh-key", keyed.coordinator)
    run(cli, keyed.kv, "sync")
    run(cli, keyed.ca, "sync")
    # Approving, dated before the revocation, after it entered the history: refused.
    refused = _sign(cli, keyed.ca, "caritas", "2014-01-20", "--ssh-key", keyed.ca.key, ok=False)
    assert "widerrufen" in refused.stderr  # type: ignore[attr-defined]
    # The same by hand: committed after the revocation, it counts nowhere.
    _forge_signoff(ssh_keygen, keyed.ca.root, "caritas", keyed.ca.key, "2014-01-20")
    verified = run(cli, keyed.ca, "agreement", "verify", ok=False).stdout  # type: ignore[attr-defined]
    assert "der widerrufen war, als dieser Eintrag in die Historie kam" in verified
    run(cli, keyed.ca, "check", ok=False)
    assert "caritas" in _status(cli, keyed.ca)["missing"]  # type: ignore[operator]
    # Registering a successor with the revoked key, dated before the revocation: refused.
    successor = keyed.ca.key.parent / "caritas-neu"
    from test_collaboration import make_key

    make_key(ssh_keygen, successor)
    refused = run(
        cli,
        keyed.ca,
        "partner",
        "key",
        "add",
        "caritas",
        f"{successor}.pub",
        "--ssh-key",
        keyed.ca.key,
        "--confirmed",
        "selbst",
        "--date",
        "2014-01-25",
        ok=False,
    )
    assert refused.exit_code == 2  # type: ignore[attr-defined]


def test_an_approval_dated_before_its_key_was_registered_is_refused(
    keyed: Orgs, cli: Cli, ssh_keygen: str
) -> None:
    from test_collaboration import make_key

    late = make_key(ssh_keygen, keyed.jc.key.parent / "jobcenter-spaet")
    run(
        cli,
        keyed.kv,
        "partner",
        "key",
        "add",
        "jobcenter",
        f"{late}.pub",
        "--ssh-key",
        keyed.coordinator,
        "--confirmed",
        "per Brief",
        "--date",
        "2014-02-01",
    )
    refused = _sign(cli, keyed.kv, "jobcenter", "2014-01-20", "--ssh-key", late, ok=False)
    assert "erst am 2014-02-01 registriert" in refused.stderr  # type: ignore[attr-defined]


def test_without_a_trust_root_unsigned_approvals_count_and_say_who_recorded_them(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop", "--date", "2014-01-10")
    for partner in ("kreis", "jobcenter", "caritas"):
        cli(
            "-C",
            root,
            "agreement",
            "sign",
            "koop",
            "--partner",
            partner,
            "--signatory",
            "X",
            "--date",
            "2014-01-20",
            author=JC if partner == "jobcenter" else CA,
        )
    shown = cli("-C", root, "agreement", "show", "koop").stdout
    assert "ohne Signatur, eingetragen von Jan Meyer" in shown
    verified = cli("-C", root, "agreement", "verify").stdout
    assert "ohne Signatur, eingetragen von Eva Klein" in verified
    assert json.loads(cli("-C", root, "--json", "agreement", "show", "koop").stdout)["in_force"]
    cli("-C", root, "check")
    out = root.parent / "koop-v1.docx"
    cli("-C", root, "agreement", "render", "koop", "--version", "v1", "-o", out)
    text = document_text(out.read_bytes())
    assert "(ohne Signatur, eingetragen von Jan Meyer)" in text


def test_a_sign_request_asks_only_for_a_day_sign_import_accepts(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop", "--date", "2014-01-10")
    request = ("agreement", "sign-request", "koop", "--partner", "kreis", "--signatory", "X")
    early = cli("-C", root, *request, "--date", "2014-01-09", ok=False)
    assert early.exit_code == 2 and "vor der Veröffentlichung" in early.stderr
    late = cli("-C", root, *request, "--date", "2014-03-01", ok=False)
    assert late.exit_code == 2
    cli("-C", root, *request, "--date", "2014-01-10", "-o", root.parent / "anfrage.txt")
