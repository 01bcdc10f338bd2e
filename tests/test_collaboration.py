"""Three organisations, one bare remote, their own clones, identities and SSH keys."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, git, git_env
from coopkit.model.keys import KeyRegistration
from coopkit.model.signoff import SignOff
from coopkit.signing import hashing
from coopkit.signing.keys import fingerprint
from coopkit.store import layout
from coopkit.store.codec import dump_record

KV = "Gisela Bernert <bernert@kreis.example>"
JC = "Jan Meyer <meyer@jobcenter.example>"
CA = "Eva Klein <klein@caritas.example>"
MEETING = "2014-05-14-arbeitstreffen"


@dataclass
class Org:
    """One organisation: its clone, its acting person and its private key."""

    root: Path
    author: str
    key: Path


@dataclass
class Orgs:
    """The coordinator's key and the three clones."""

    remote: Path
    coordinator: Path
    kv: Org
    jc: Org
    ca: Org


def make_key(ssh_keygen: str, path: Path) -> Path:
    """Create an ed25519 key pair without passphrase."""
    subprocess.run(
        [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
    )
    return path


def run(cli: Cli, org: Org, *args: object, ok: bool | None = True, key: bool = False) -> object:
    """Run coop in an organisation's clone as its person."""
    extra: tuple[object, ...] = ("--ssh-key", org.key) if key else ()
    return cli("-C", org.root, *extra, *args, author=org.author, ok=ok)


def clone(remote: Path, target: Path) -> Path:
    """Clone the shared remote."""
    subprocess.run(
        ["git", "clone", "-q", str(remote), str(target)],
        env=git_env(),
        check=True,
        capture_output=True,
    )
    return target


@pytest.fixture
def orgs(make_repo: MakeRepo, cli: Cli, ssh_keygen: str, tmp_path: Path) -> Orgs:
    """Kreisverwaltung (coordinator), Jobcenter and Caritas, each with a clone and a key."""
    keys = tmp_path / "keys"
    keys.mkdir()
    coordinator = make_key(ssh_keygen, keys / "coordinator")
    remote = tmp_path / "shared.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    root = make_repo(approve=False)
    kv = Org(root, KV, make_key(ssh_keygen, keys / "kreis"))
    cli("-C", root, "trust", "pin", f"{coordinator}.pub", author=KV)
    for partner, key in (
        ("kreis", kv.key),
        ("jobcenter", keys / "jobcenter"),
        ("caritas", keys / "caritas"),
    ):
        if not key.exists():
            make_key(ssh_keygen, key)
        cli(
            "-C",
            root,
            "partner",
            "key",
            "add",
            partner,
            f"{key}.pub",
            "--ssh-key",
            coordinator,
            "--confirmed",
            "per Brief vom 03.02.2014",
            "--date",
            "2014-01-05",
            author=KV,
        )
    cli("-C", root, "agreement", "release", "koop", "--date", "2014-01-10", author=KV)
    cli("-C", root, "remote", "add", "origin", remote, author=KV)
    cli("-C", root, "sync", author=KV)
    jc = Org(clone(remote, tmp_path / "jobcenter"), JC, keys / "jobcenter")
    ca = Org(clone(remote, tmp_path / "caritas"), CA, keys / "caritas")
    return Orgs(remote, coordinator, kv, jc, ca)


def test_concurrent_edits_to_different_records_sync_cleanly(orgs: Orgs, cli: Cli) -> None:
    run(cli, orgs.jc, "partner", "contact", "add", "jobcenter", "--name", "Ayşe Yılmaz")
    run(cli, orgs.ca, "partner", "contact", "add", "caritas", "--name", "Petra Neumann")
    run(cli, orgs.jc, "sync")
    result = run(cli, orgs.ca, "--json", "sync")
    assert json.loads(result.stdout)["received"] == 1  # type: ignore[attr-defined]
    run(cli, orgs.kv, "sync")
    for org in (orgs.kv, orgs.ca):
        assert "Ayşe Yılmaz" in (org.root / "partners/jobcenter.yaml").read_text()
        assert "Petra Neumann" in (org.root / "partners/caritas.yaml").read_text()
        run(cli, org, "check")
    # Every commit keeps its author.
    authors = git(orgs.kv.root, "log", "--format=%an", "-2").split()
    assert set(authors) == {"Eva", "Jan"} or {"Klein", "Meyer"} <= set(authors)


def test_two_people_noting_under_different_tops_merge_cleanly(orgs: Orgs, cli: Cli) -> None:
    run(cli, orgs.kv, "meeting", "new", "--agreement", "koop", "--date", "2014-05-14")
    meeting = next((orgs.kv.root / "minutes").glob("2014-05-14-*.md")).stem
    run(cli, orgs.kv, "sync")
    run(cli, orgs.jc, "sync")
    run(cli, orgs.ca, "sync")
    run(cli, orgs.jc, "meeting", "decide", meeting, "--top", "1", "Tagesordnung genehmigt.")
    run(cli, orgs.ca, "meeting", "note", meeting, "--top", "2", "Die Caritas berichtet.")
    run(cli, orgs.jc, "sync")
    run(cli, orgs.ca, "sync")
    text = (orgs.ca.root / "minutes" / f"{meeting}.md").read_text()
    assert "Tagesordnung genehmigt." in text and "Die Caritas berichtet." in text
    assert "<<<<<<<" not in text
    run(cli, orgs.ca, "check")
    run(cli, orgs.jc, "sync")
    assert (orgs.jc.root / "minutes" / f"{meeting}.md").read_text() == text


def _edit_short(org: Org, cli: Cli, value: str) -> None:
    path = org.root / "partners/kreis.yaml"
    path.write_text(path.read_text().replace("short: Kreis", f"short: {value}"))
    run(cli, org, "commit", "-m", f"Kurzname {value}", "partners/kreis.yaml")


def _state(root: Path) -> tuple[str, str]:
    return git(root, "rev-parse", "HEAD"), git(root, "status", "--porcelain")


@pytest.mark.slow
@pytest.mark.parametrize(("keep", "expected"), [("mine", "Kreis CA"), ("theirs", "Kreis JC")])
def test_same_record_edited_on_both_sides_is_explained_then_resolved(
    orgs: Orgs, cli: Cli, keep: str, expected: str
) -> None:
    _edit_short(orgs.jc, cli, "Kreis JC")
    _edit_short(orgs.ca, cli, "Kreis CA")
    run(cli, orgs.jc, "sync")
    before = _state(orgs.ca.root)
    result = run(cli, orgs.ca, "sync", ok=False)
    assert result.exit_code == 5  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    assert (
        "partners/kreis.yaml (partner): hier geändert: short; auf origin/main geändert: short"
        in err
    )
    assert "coop sync --keep mine" in err and "coop sync --keep theirs" in err
    assert _state(orgs.ca.root) == before
    assert not (orgs.ca.root / ".git/rebase-merge").exists()
    english = cli("-C", orgs.ca.root, "--lang", "en", "sync", author=CA, ok=False)
    assert "changed here: short; changed on origin/main: short" in english.stderr
    run(cli, orgs.ca, "sync", "--keep", keep)
    assert f"short: {expected}" in (orgs.ca.root / "partners/kreis.yaml").read_text()
    run(cli, orgs.ca, "check")
    run(cli, orgs.jc, "sync")
    assert f"short: {expected}" in (orgs.jc.root / "partners/kreis.yaml").read_text()


def test_sync_refuses_to_push_what_would_add_problems(orgs: Orgs, cli: Cli) -> None:
    run(cli, orgs.kv, "meeting", "new", "--agreement", "koop", "--date", "2014-05-14")
    meeting = next((orgs.kv.root / "minutes").glob("2014-05-14-*.md")).stem
    run(cli, orgs.kv, "sync")
    run(cli, orgs.jc, "sync")
    run(cli, orgs.ca, "sync")
    # The Jobcenter removes Eva Klein as a contact of the Caritas …
    path = orgs.jc.root / "partners/caritas.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("contacts:")])
    run(cli, orgs.jc, "commit", "-m", "Kontakt entfernt", "partners/caritas.yaml")
    run(cli, orgs.jc, "sync")
    # … while the Caritas notes her as present: each side valid, together not.
    run(cli, orgs.ca, "meeting", "attend", meeting, "caritas/klein")
    before = _state(orgs.ca.root)
    result = run(cli, orgs.ca, "sync", ok=False)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "unbekannte Person „klein“ bei caritas" in result.stderr  # type: ignore[attr-defined]
    assert "nichts wurde gesendet" in result.stderr  # type: ignore[attr-defined]
    assert _state(orgs.ca.root) == before
    remote_head = git(orgs.remote, "rev-parse", "main").strip()
    assert remote_head == git(orgs.jc.root, "rev-parse", "HEAD").strip()


def test_tags_travel_and_move_with_a_rebased_release(orgs: Orgs, cli: Cli) -> None:
    run(cli, orgs.jc, "partner", "contact", "add", "jobcenter", "--name", "Ayşe Yılmaz")
    run(cli, orgs.jc, "sync")
    path = orgs.kv.root / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("review_cycle: P1Y", "review_cycle: P2Y"))
    run(cli, orgs.kv, "commit", "-m", "Überprüfung alle zwei Jahre", "agreements/koop/agreement.md")
    run(cli, orgs.kv, "agreement", "release", "koop", "--date", "2014-02-01")
    result = run(cli, orgs.kv, "--json", "sync")
    assert json.loads(result.stdout)["moved_tags"] == ["koop/v2"]  # type: ignore[attr-defined]
    tagged = git(orgs.kv.root, "rev-parse", "koop/v2^{commit}").strip()
    assert git(orgs.kv.root, "merge-base", "--is-ancestor", tagged, "HEAD") == ""
    run(cli, orgs.ca, "sync")
    assert git(orgs.ca.root, "tag", "--list").split() == ["koop/v1", "koop/v2"]
    shown = json.loads(run(cli, orgs.ca, "--json", "agreement", "show", "koop").stdout)  # type: ignore[attr-defined]
    assert [v["version"] for v in shown["versions"]] == ["v1", "v2"]
    run(cli, orgs.ca, "check")


def test_sign_request_round_trip_with_plain_ssh_keygen(
    orgs: Orgs, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    run(cli, orgs.ca, "sync")
    request = tmp_path / "mail" / "anfrage.txt"
    request.parent.mkdir()
    result = run(
        cli,
        orgs.kv,
        "agreement",
        "sign-request",
        "koop",
        "--partner",
        "caritas",
        "--signatory",
        "Eva Klein",
        "--function",
        "Vorstand",
        "--date",
        "2014-01-20",
        "-o",
        request,
    )
    text = request.read_text()
    assert "ssh-keygen -Y sign -f SCHLÜSSEL -n coopkit-signoff" in text
    assert "ssh-keygen -Y sign" in result.stdout  # type: ignore[attr-defined]
    # The partner has no coopkit: only ssh-keygen, run on the file as received.
    subprocess.run(
        [
            ssh_keygen,
            "-Y",
            "sign",
            "-q",
            "-f",
            str(orgs.ca.key),
            "-n",
            "coopkit-signoff",
            str(request),
        ],
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert Path(f"{request}.sig").is_file()
    run(
        cli,
        orgs.kv,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "caritas",
        "--import",
        f"{request}.sig",
    )
    verified = run(cli, orgs.kv, "agreement", "verify", "koop").stdout  # type: ignore[attr-defined]
    assert "signoffs/v1/caritas.yaml: ok – freigegeben (intern), SSH-Signatur gültig" in verified
    assert "registriert von Gisela Bernert" in verified
    assert "gepinnten Koordinationsschlüssel" in verified
    # A request changed after signing no longer imports.
    request.write_text(text.replace("Eva Klein", "Eve Small"))
    run(
        cli,
        orgs.kv,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "jobcenter",
        "--import",
        f"{request}.sig",
        ok=False,
    )


def test_evidence_is_recorded_by_hash_and_attested_by_the_coordinator(
    orgs: Orgs, cli: Cli, tmp_path: Path
) -> None:
    scan = tmp_path / "unterschrift.pdf"
    scan.write_bytes(b"%PDF-1.4 scan")
    paper = ("agreement", "sign", "koop", "--partner", "jobcenter", "--signatory", "Jan Meyer")
    paper += ("--method", "wet-ink", "--evidence", str(scan), "--date", "2014-01-20")
    # Without a key nobody records paper in a partner's name; the caritas key cannot attest.
    refused = run(cli, orgs.kv, *paper, ok=False)
    assert "coordinator_keys" in refused.stderr  # type: ignore[attr-defined]
    refused = run(cli, orgs.kv, *paper, "--ssh-key", orgs.ca.key, ok=False)
    assert "kein vertrauenswürdiger Schlüssel von jobcenter" in refused.stderr  # type: ignore[attr-defined]
    run(cli, orgs.kv, *paper, "--ssh-key", orgs.coordinator)
    out = run(cli, orgs.kv, "agreement", "verify").stdout  # type: ignore[attr-defined]
    assert "Nachweis (außerhalb, per Hash): unterschrift.pdf (sha256:" in out
    assert "Unterschrift auf Papier, Scan" in out
    status = run(cli, orgs.kv, "--json", "agreement", "show", "koop").stdout  # type: ignore[attr-defined]
    assert '"jobcenter"' in status


# --- forgery ---------------------------------------------------------------------------------


def _sign(ssh_keygen: str, key: Path, payload: bytes, namespace: str) -> str:
    return subprocess.run(
        [ssh_keygen, "-Y", "sign", "-q", "-n", namespace, "-f", str(key)],
        input=payload,
        capture_output=True,
        check=True,
    ).stdout.decode()


def _forge_registration(ssh_keygen: str, root: Path, partner: str, key: Path, signer: Path) -> Path:
    line = Path(f"{key}.pub").read_text().strip()
    fp = fingerprint(line)
    assert fp
    record = KeyRegistration(
        partner=partner,
        key=line,
        fingerprint=fp,
        registered_by="Jan Meyer",
        registered_on="2014-01-15",  # type: ignore[arg-type]
        confirmed="telefonisch",
    )
    record = record.model_copy(
        update={"signature": _sign(ssh_keygen, signer, hashing.key_payload(record), "coopkit-key")}
    )
    path = root / layout.key_path(partner, fp)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_record(record))
    return path


def _forge_signoff(
    ssh_keygen: str, root: Path, partner: str, key: Path, day: str, message: str = "forged"
) -> Path:
    """Write and commit a sign-off for koop v1 signed with `key` (bypassing coop)."""
    from coopkit.signing.hashing import content_hash
    from coopkit.store.codec import parse_agreement
    from coopkit.store.text import decode_text

    textfile, _ = decode_text("a.md", (root / "agreements/koop/agreement.md").read_bytes())
    assert textfile is not None
    located, _ = parse_agreement(textfile)
    assert located is not None
    record = SignOff(
        agreement="koop",
        version="v1",
        partner=partner,
        signatory="X",
        date=day,  # type: ignore[arg-type]
        content_hash=content_hash(located.value),
    )
    record = record.model_copy(
        update={
            "signature": _sign(ssh_keygen, key, hashing.record_payload(record), "coopkit-signoff")
        }
    )
    path = root / layout.signoff_path("koop", "v1", partner)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_record(record))
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return path


def test_key_registered_by_another_partner_does_not_count(
    orgs: Orgs, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    evil = make_key(ssh_keygen, tmp_path / "evil")
    refused = run(
        cli,
        orgs.jc,
        "partner",
        "key",
        "add",
        "caritas",
        f"{evil}.pub",
        "--ssh-key",
        orgs.jc.key,
        "--confirmed",
        "telefonisch",
        ok=False,
    )
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "(er gehört zu jobcenter)" in refused.stderr  # type: ignore[attr-defined]
    _forge_registration(ssh_keygen, orgs.jc.root, "caritas", evil, orgs.jc.key)
    _forge_signoff(ssh_keygen, orgs.jc.root, "caritas", evil, "2014-01-20")
    checked = run(cli, orgs.jc, "check", ok=False).stdout  # type: ignore[attr-defined]
    assert "ist nicht vertrauenswürdig: die Registrierung ist mit SHA256:" in checked
    assert "(sondern von jobcenter)" in checked
    out = run(cli, orgs.jc, "agreement", "verify", ok=False).stdout  # type: ignore[attr-defined]
    assert "caritas.yaml: signiert mit SHA256:" in out
    assert "kein vertrauenswürdiger Schlüssel von caritas" in out


def test_same_key_for_two_partners_is_a_problem(orgs: Orgs, cli: Cli, ssh_keygen: str) -> None:
    refused = run(
        cli,
        orgs.kv,
        "partner",
        "key",
        "add",
        "jobcenter",
        f"{orgs.ca.key}.pub",
        "--ssh-key",
        orgs.coordinator,
        "--confirmed",
        "x",
        ok=False,
    )
    assert "schon für caritas registriert" in refused.stderr  # type: ignore[attr-defined]
    _forge_registration(ssh_keygen, orgs.kv.root, "jobcenter", orgs.ca.key, orgs.coordinator)
    git(orgs.kv.root, "add", "-A")
    git(orgs.kv.root, "commit", "-qm", "same key")
    out = run(cli, orgs.kv, "--lang", "en", "check", ok=False).stdout  # type: ignore[attr-defined]
    assert "is registered for several partners: caritas, jobcenter" in out


def test_signature_after_revocation_fails_before_it_holds(
    orgs: Orgs, cli: Cli, ssh_keygen: str
) -> None:
    fp = fingerprint(Path(f"{orgs.ca.key}.pub").read_text())
    run(cli, orgs.ca, "sync")
    run(
        cli,
        orgs.ca,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "caritas",
        "--signatory",
        "Eva Klein",
        "--date",
        "2014-01-20",
        key=True,
    )
    # The partner revokes its own key (e.g. a lost laptop).
    run(cli, orgs.ca, "partner", "key", "revoke", "caritas", fp, "--date", "2014-02-01", key=True)
    out = run(cli, orgs.ca, "agreement", "verify").stdout  # type: ignore[attr-defined]
    assert "caritas.yaml: ok" in out
    # A record signed after the revocation fails, whatever its commit says.
    (orgs.ca.root / "agreements/koop/signoffs/v1/caritas.yaml").unlink()
    git(orgs.ca.root, "commit", "-qam", "drop")
    refused = run(
        cli,
        orgs.ca,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "caritas",
        "--signatory",
        "Eva Klein",
        "--date",
        "2014-02-05",
        key=True,
        ok=False,
    )
    assert "widerrufen" in refused.stderr  # type: ignore[attr-defined]
    _forge_signoff(ssh_keygen, orgs.ca.root, "caritas", orgs.ca.key, "2014-02-05")
    out = run(cli, orgs.ca, "agreement", "verify", ok=False).stdout  # type: ignore[attr-defined]
    assert "geändert, nachdem er eingetragen war" not in out  # re-added, not changed
    assert "signiert am 2014-02-05 mit SHA256:" in out and "ab 2014-02-01 widerrufen" in out


def test_backdated_and_future_dated_signoffs_fail(orgs: Orgs, cli: Cli, ssh_keygen: str) -> None:
    common = ("agreement", "sign", "koop", "--partner", "caritas", "--signatory", "Eva Klein")
    back = run(cli, orgs.ca, *common, "--date", "2013-12-01", ok=False)
    assert "vor der Veröffentlichung" in back.stderr  # type: ignore[attr-defined]
    ahead = run(cli, orgs.ca, *common, "--date", "2031-01-01", ok=False)
    assert "nach heute" in ahead.stderr  # type: ignore[attr-defined]
    # Hand-written: the commit (today's clock) is older than the record's date.
    _forge_signoff(ssh_keygen, orgs.ca.root, "caritas", orgs.ca.key, "2031-01-01")
    out = run(cli, orgs.ca, "agreement", "verify", ok=False).stdout  # type: ignore[attr-defined]
    assert "nach dem Commit vom" in out
    checked = cli("-C", orgs.ca.root, "check", today="2032-01-01", author=CA, ok=False).stdout
    assert (
        "caritas.yaml:5:7: Freigabe zählt nicht: Freigabe ist auf den 2031-01-01 datiert, "
        "nach dem Commit" in checked
    )
    git(orgs.ca.root, "rm", "-q", "agreements/koop/signoffs/v1/caritas.yaml")
    git(orgs.ca.root, "commit", "-qm", "drop")
    _forge_signoff(ssh_keygen, orgs.ca.root, "caritas", orgs.ca.key, "2013-12-01")
    checked = run(cli, orgs.ca, "check", ok=False).stdout  # type: ignore[attr-defined]
    assert "liegt vor der Veröffentlichung" in checked


@pytest.mark.slow
def test_signed_history_catches_a_rewritten_signoff_commit(orgs: Orgs, cli: Cli) -> None:
    config = orgs.kv.root / "coop.toml"
    config.write_text(config.read_text() + "\n[signing]\nsign_commits = true\n")
    unsigned = run(cli, orgs.kv, "commit", "-m", "Signierte Geschichte", "coop.toml", ok=False)
    assert "--ssh-key" in unsigned.stderr  # type: ignore[attr-defined]
    run(cli, orgs.kv, "commit", "-m", "Signierte Geschichte", "coop.toml", key=True)
    run(cli, orgs.kv, "sync", key=True)
    run(cli, orgs.ca, "sync", key=True)
    run(
        cli,
        orgs.ca,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "caritas",
        "--signatory",
        "Eva Klein",
        "--date",
        "2014-01-20",
        key=True,
    )
    # Meanwhile the Jobcenter pushes: the Caritas's signed commit is rebased and signed again.
    run(cli, orgs.jc, "sync", key=True)
    run(cli, orgs.jc, "partner", "contact", "add", "jobcenter", "--name", "Ayşe Yılmaz", key=True)
    run(cli, orgs.jc, "sync", key=True)
    synced = json.loads(run(cli, orgs.ca, "--json", "sync", key=True).stdout)  # type: ignore[attr-defined]
    assert synced["received"] == 1 and synced["sent"] == 1
    run(cli, orgs.kv, "sync", key=True)
    out = run(cli, orgs.kv, "agreement", "verify", "--history").stdout  # type: ignore[attr-defined]
    assert "(caritas): ok – SHA256:" in out
    # The coordinator (with a trusted key, but not caritas's) rewrites caritas's sign-off.
    path = orgs.kv.root / "agreements/koop/signoffs/v1/caritas.yaml"
    path.write_text(path.read_text().replace("signatory: Eva Klein", "signatory: Eva Klein "))
    env = {**git_env(), "GIT_AUTHOR_NAME": "Eva Klein"}
    subprocess.run(
        ["git", "commit", "-q", "--amend", "-a", "--no-edit"],
        cwd=orgs.kv.root,
        env=env,
        check=True,
    )
    out = run(cli, orgs.kv, "agreement", "verify", "--history", ok=False).stdout  # type: ignore[attr-defined]
    assert "(caritas): Commit ist nicht signiert" in out
    # Signed, but with a key that is not caritas's (nor the coordinator's).
    subprocess.run(
        [
            "git",
            "-c",
            "gpg.format=ssh",
            "-c",
            f"user.signingkey={orgs.jc.key}",
            "commit",
            "-q",
            "--amend",
            "-S",
            "--no-edit",
        ],
        cwd=orgs.kv.root,
        env=env,
        check=True,
    )
    out = run(cli, orgs.kv, "agreement", "verify", "--history", ok=False).stdout  # type: ignore[attr-defined]
    assert "weder Koordinations- noch am" in out and "Schlüssel von caritas" in out
    # Pinning another root counts only when signed by a key pinned before.
    jc_fp = fingerprint(Path(f"{orgs.jc.key}.pub").read_text())
    text = config.read_text()
    config.write_text(text.replace('coordinator_keys = ["', f'coordinator_keys = ["{jc_fp}", "'))
    cli(
        "-C",
        orgs.kv.root,
        "--ssh-key",
        orgs.jc.key,
        "commit",
        "-m",
        "Wurzel",
        "coop.toml",
        author=JC,
    )
    out = run(cli, orgs.kv, "agreement", "verify", "--history", ok=False).stdout  # type: ignore[attr-defined]
    assert "Wurzel (coop.toml [trust]): ändert die gepinnten Koordinationsschlüssel" in out


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["forgejo", "gitlab"])
def test_ci_script_lines_run_and_fail_on_a_forged_history(
    orgs: Orgs, cli: Cli, ssh_keygen: str, tmp_path: Path, platform: str
) -> None:
    from coopkit.services.ci import script_lines

    text = cli("ci", "print", platform).stdout
    lines = [line for line in script_lines(text) if line.startswith("coop ")]
    assert lines == [
        "coop check",
        "coop agreement verify --all",
        "coop agreement verify --history",
    ]
    coop = f"{shlex.quote(sys.executable)} -m coopkit.cli"
    env = {**git_env(), "COOP_LANG": "en"}

    def pipeline(root: Path) -> list[int]:
        return [
            subprocess.run(
                f"{coop} --today 2014-02-07 {line.removeprefix('coop ')}",
                shell=True,
                cwd=root,
                env=env,
                capture_output=True,
            ).returncode
            for line in lines
        ]

    assert pipeline(orgs.kv.root) == [0, 0, 0]
    evil = make_key(ssh_keygen, tmp_path / "evil")
    _forge_registration(ssh_keygen, orgs.jc.root, "caritas", evil, orgs.jc.key)
    _forge_signoff(ssh_keygen, orgs.jc.root, "caritas", evil, "2014-01-20")
    assert pipeline(orgs.jc.root)[:2] == [1, 1]


def test_init_pins_coordinator_keys_and_writes_the_pipeline(
    cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    key = make_key(ssh_keygen, tmp_path / "coordinator")
    refused = cli("init", tmp_path / "x", "--ci", "jenkins", ok=False)
    assert refused.exit_code == 2 and not (tmp_path / "x").exists()
    root = tmp_path / "neu"
    cli("init", root, "--name", "Integration", "--coordinator-key", f"{key}.pub", "--ci", "gitlab")
    config = (root / "coop.toml").read_text()
    assert f'coordinator_keys = ["{fingerprint(Path(f"{key}.pub").read_text())}"]' in config
    assert "coop agreement verify --all" in (root / ".gitlab-ci.yml").read_text()
    assert "minutes/*.md merge=coop" in (root / ".gitattributes").read_text()
    assert git(root, "status", "--porcelain") == ""
    cli("-C", root, "check")
