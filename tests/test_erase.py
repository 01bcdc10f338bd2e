"""Erasure from history: a client's name planted five commits deep, three clones, one remote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Cli, git, git_env
from test_collaboration import (  # noqa: F401 - the fixture is used by name
    Org,
    Orgs,
    orgs,
    run,
)

CLIENT = "Max Mustermann"
BIRTH = "geb. 03.04.1987"
MEETING_DAY = "2014-05-14"


def _objects_holding(root: Path, text: str) -> list[str]:
    """Every object of a repository (reachable or not) whose bytes hold `text`."""
    out = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        cwd=root,
        env=git_env(),
        check=True,
        capture_output=True,
    ).stdout
    found = []
    pos = 0
    needle = text.encode()
    while pos < len(out):
        end = out.index(b"\n", pos)
        sha, _, size = out[pos:end].split(b" ")
        start = end + 1
        data = out[start : start + int(size)]
        if needle in data:
            found.append(sha.decode())
        pos = start + int(size) + 1
    return found


def _files(root: Path) -> dict[str, bytes]:
    """Every tracked file at HEAD."""
    names = git(root, "ls-files", "-z").split("\0")
    return {n: (root / n).read_bytes() for n in names if n}


def _sign(cli: Cli, org: Org, partner: str, who: str) -> None:
    run(
        cli,
        org,
        "agreement",
        "sign",
        "koop",
        "--partner",
        partner,
        "--signatory",
        who,
        "--date",
        "2014-01-20",
        key=True,
    )


def _erase(cli: Cli, orgs: Orgs, *args: str, ok: bool | None = True) -> object:  # noqa: F811
    """Run `coop privacy erase` in the Kreis's clone with the coordinator's key."""
    return cli(
        "-C",
        orgs.kv.root,
        "--ssh-key",
        orgs.coordinator,
        "privacy",
        "erase",
        *args,
        author=orgs.kv.author,
        ok=ok,
    )


def _erase_json(cli: Cli, orgs: Orgs, *args: str) -> dict[str, object]:  # noqa: F811
    """Run the erasure with --json; return its answer."""
    answer: dict[str, object] = json.loads(_erase(cli, orgs, "--json", *args).stdout)  # type: ignore[attr-defined]
    return answer


@pytest.fixture
def planted(orgs: Orgs, cli: Cli) -> tuple[Orgs, str]:  # noqa: F811 - the imported fixture
    """Signed history, three sign-offs, a meeting whose note names a client five commits deep."""
    config = orgs.kv.root / "coop.toml"
    config.write_text(config.read_text() + "\n[signing]\nsign_commits = true\n")
    run(cli, orgs.kv, "commit", "-m", "Signierte Geschichte", "coop.toml", key=True)
    run(cli, orgs.kv, "sync", key=True)
    for org, partner, who in (
        (orgs.kv, "kreis", "Gisela Bernert"),
        (orgs.jc, "jobcenter", "Jan Meyer"),
        (orgs.ca, "caritas", "Eva Klein"),
    ):
        run(cli, org, "sync", key=True)
        _sign(cli, org, partner, who)
        run(cli, org, "sync", key=True)
    run(cli, orgs.kv, "sync", key=True)
    run(cli, orgs.kv, "meeting", "new", "--agreement", "koop", "--date", MEETING_DAY, key=True)
    meeting = next((orgs.kv.root / "minutes").glob(f"{MEETING_DAY}-*.md")).stem
    run(
        cli,
        orgs.kv,
        "--allow-personal-data",
        "meeting",
        "note",
        meeting,
        "--top",
        "2",
        f"Fallbesprechung: {CLIENT} ({BIRTH}) wartet auf den Integrationskurs.",
        key=True,
    )
    # Five more commits on top: the name sits five commits deep.
    for n, text in enumerate(
        (
            "Die Caritas berichtet über die Beratungszahlen.",
            "Das Jobcenter stellt die neuen Maßnahmen vor.",
            "Termine für die Hospitation werden abgestimmt.",
            "Der Kreis lädt zur Integrationskonferenz ein.",
            "Verschiedenes: keine Wortmeldungen.",
        )
    ):
        run(cli, orgs.kv, "meeting", "note", meeting, "--top", str(1 + n % 2), text, key=True)
    run(cli, orgs.kv, "sync", key=True)
    run(cli, orgs.jc, "sync", key=True)
    run(cli, orgs.ca, "sync", key=True)
    return orgs, meeting


@pytest.mark.slow
def test_erasure_reaches_every_clone_and_keeps_everything_else(
    planted: tuple[Orgs, str], cli: Cli
) -> None:
    orgs, meeting = planted  # noqa: F811 - the clones of the fixture
    note = f"minutes/{meeting}.md"
    deep = git(orgs.kv.root, "log", "--format=%H", "--", note).split()
    assert len(deep) >= 6
    before = {org.root: _files(org.root) for org in (orgs.kv, orgs.jc, orgs.ca)}
    assert all(CLIENT.encode() in files[note] for files in before.values())
    for root in (orgs.kv.root, orgs.jc.root, orgs.ca.root, orgs.remote):
        assert _objects_holding(root, CLIENT)
    # The Jobcenter works on, without sending yet.
    run(cli, orgs.jc, "partner", "contact", "add", "jobcenter", "--name", "Ayşe Yılmaz", key=True)
    unsent = git(orgs.jc.root, "log", "-1", "--format=%s").strip()

    # A dry run says what would change and changes nothing.
    head = git(orgs.kv.root, "rev-parse", "HEAD")
    client = ("--text", CLIENT, "--text", BIRTH, "--reason", "Klientendaten in Sitzungsnotiz")
    dry = _erase_json(cli, orgs, *client, "--dry-run")
    assert dry["dry_run"] and dry["changed"] >= 6 and dry["record"] is None
    assert git(orgs.kv.root, "rev-parse", "HEAD") == head
    # Only a pinned coordinator key may erase (the Kreis's own partner key is none).
    refused = run(
        cli,
        orgs.kv,
        "privacy",
        "erase",
        "--text",
        CLIENT,
        "--reason",
        "x",
        ok=False,
        key=True,
    )
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert git(orgs.kv.root, "rev-parse", "HEAD") == head

    done = _erase_json(cli, orgs, *client)
    assert done["ok"] and done["record"].startswith("erasures/") and done["remote_cleaned"]
    assert done["signoffs"] and all(s["before"] and s["after"] for s in done["signoffs"])
    record = (orgs.kv.root / done["record"]).read_text()
    # The old signed commits lost their signatures in the rewrite; the record names their keys.
    assert "signer: SHA256:" in record and CLIENT not in record and BIRTH not in record
    assert done["tags"] == []  # the version was released before the note: its commit stays

    # The others take it over with their next sync; the Jobcenter's unsent work goes along.
    for org in (orgs.jc, orgs.ca, orgs.kv):
        result = run(cli, org, "--json", "sync", key=True, ok=None)
        assert result.exit_code == 0, result.stdout  # type: ignore[attr-defined]
    run(cli, orgs.jc, "sync", key=True)
    assert git(orgs.jc.root, "log", "-1", "--format=%s").strip() == unsent or unsent in git(
        orgs.jc.root, "log", "-3", "--format=%s"
    )
    for org in (orgs.kv, orgs.ca):
        run(cli, org, "sync", key=True)

    for root in (orgs.kv.root, orgs.jc.root, orgs.ca.root, orgs.remote):
        assert _objects_holding(root, CLIENT) == [], root
        assert _objects_holding(root, BIRTH) == [], root
    heads = {git(org.root, "rev-parse", "HEAD") for org in (orgs.kv, orgs.jc, orgs.ca)}
    assert len(heads) == 1
    for org in (orgs.kv, orgs.jc, orgs.ca):
        after = _files(org.root)
        old = before[org.root]
        assert "(gelöscht)" in after[note].decode()
        for path, data in old.items():
            if path != note:
                assert after.get(path) == data or path == "partners/jobcenter.yaml", path
        assert "Ayşe Yılmaz" in after["partners/jobcenter.yaml"].decode()
        assert {p for p in after if p.startswith("erasures/")} == {done["record"]}
        run(cli, org, "agreement", "verify")
        history = run(cli, org, "agreement", "verify", "--history").stdout  # type: ignore[attr-defined]
        assert "(caritas): ok – SHA256:" in history
        run(cli, org, "check")
        proof = json.loads(
            run(cli, org, "--json", "privacy", "verify-erased", CLIENT, BIRTH).stdout  # type: ignore[attr-defined]
        )
        assert proof["ok"] and proof["objects"] > 0


def _forge(org: Org, key: Path, *, also: tuple[str, str] | None = None) -> None:
    """Rewrite the tip as if erasing the client, add a record signed with `key`, force-push.

    `also`: (path, text) written besides, a change the record does not name.
    """
    from coopkit.model.erasure import Erasure, MappedCommit
    from coopkit.signing import ssh
    from coopkit.signing.hashing import erasure_payload
    from coopkit.signing.keys import signature_fingerprint
    from coopkit.store.codec import dump_record

    old = git(org.root, "rev-parse", "HEAD").strip()
    for path in (org.root / "minutes").glob("*.md"):
        path.write_text(path.read_text().replace(CLIENT, "(gelöscht)"))
    if also is not None:
        (org.root / also[0]).write_text(also[1])
    env = {**git_env(), "GIT_AUTHOR_NAME": "X"}
    subprocess.run(
        ["git", "commit", "-qa", "--amend", "--no-edit"], cwd=org.root, env=env, check=True
    )
    new = git(org.root, "rev-parse", "HEAD").strip()
    probe = ssh.sign(b"probe", key, namespace=ssh.ERASURE_NAMESPACE)
    record = Erasure(
        id="2014-02-07-forged00",
        date="2014-02-07",  # type: ignore[arg-type]
        by="X",
        reason="Klientendaten",
        texts=1,
        base=old,
        commits=[MappedCommit(old=old, new=new)],
        signer=signature_fingerprint(probe) or "",
    )
    record = record.model_copy(
        update={
            "signature": ssh.sign(erasure_payload(record), key, namespace=ssh.ERASURE_NAMESPACE)
        }
    )
    (org.root / "erasures").mkdir(exist_ok=True)
    (org.root / "erasures" / f"{record.id}.yaml").write_text(dump_record(record))
    git(org.root, "add", "erasures")
    subprocess.run(["git", "commit", "-qm", "Löschung"], cwd=org.root, env=env, check=True)
    git(org.root, "push", "-q", "--force", "origin", "HEAD:main")


@pytest.mark.slow
def test_a_rewrite_counts_only_with_the_coordinators_signature_and_only_for_what_it_names(
    planted: tuple[Orgs, str], cli: Cli
) -> None:
    orgs, _ = planted  # noqa: F811 - the clones of the fixture
    head = git(orgs.ca.root, "rev-parse", "HEAD")
    # The Jobcenter rewrites the history and signs the record with its own key.
    _forge(orgs.jc, orgs.jc.key)
    refused = run(cli, orgs.ca, "sync", key=True, ok=False)
    assert refused.exit_code == 5  # type: ignore[attr-defined]
    assert "keinem gepinnten Koordinationsschlüssel" in refused.stderr  # type: ignore[attr-defined]
    assert git(orgs.ca.root, "rev-parse", "HEAD") == head
    # Signed with the coordinator's key, but the rewrite changes more than the record names.
    _forge(orgs.jc, orgs.coordinator, also=("partners/jobcenter.yaml", "id: jobcenter\nname: X\n"))
    refused = run(cli, orgs.ca, "sync", key=True, ok=False)
    assert refused.exit_code == 5  # type: ignore[attr-defined]
    assert "mehr geändert als der Löschvermerk nennt" in refused.stderr  # type: ignore[attr-defined]
    assert git(orgs.ca.root, "rev-parse", "HEAD") == head


@pytest.mark.slow
def test_erased_history_never_comes_back(
    planted: tuple[Orgs, str], cli: Cli, tmp_path: Path
) -> None:
    orgs, _ = planted  # noqa: F811 - the clones of the fixture
    backup = tmp_path / "backup"
    subprocess.run(["git", "clone", "-q", str(orgs.remote), str(backup)], env=git_env(), check=True)
    _erase(cli, orgs, "--text", CLIENT, "--reason", "Klientendaten in Sitzungsnotiz")
    run(cli, orgs.ca, "sync", key=True)
    assert _objects_holding(orgs.ca.root, CLIENT) == []
    # Someone pushes the old history back from a copy made before the erasure.
    git(backup, "push", "-q", "--force", "origin", "HEAD:main")
    head = git(orgs.ca.root, "rev-parse", "HEAD")
    refused = run(cli, orgs.ca, "sync", key=True, ok=False)
    assert refused.exit_code == 5  # type: ignore[attr-defined]
    assert "die gelöschten Daten sind dort zurück" in refused.stderr  # type: ignore[attr-defined]
    assert git(orgs.ca.root, "rev-parse", "HEAD") == head
    # Merged into a clone's own history, it is not sent, and verify --history names it.
    git(orgs.kv.root, "fetch", "-q", str(backup), "main")
    subprocess.run(
        ["git", "merge", "-q", "-s", "ours", "--no-edit", "FETCH_HEAD"],
        cwd=orgs.kv.root,
        env=git_env(),
        check=True,
    )
    history = run(cli, orgs.kv, "agreement", "verify", "--history", ok=False)
    assert "ist wieder in der Geschichte" in history.stdout  # type: ignore[attr-defined]
    git(orgs.ca.root, "push", "-q", "--force", "origin", "HEAD:main")
    refused = run(cli, orgs.kv, "sync", key=True, ok=False)
    assert "wird nicht gesendet" in refused.stderr  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_signed_text_is_erased_only_on_request_and_each_signoff_is_accounted_for(
    planted: tuple[Orgs, str], cli: Cli
) -> None:
    orgs, _ = planted  # noqa: F811 - the clones of the fixture
    head = git(orgs.kv.root, "rev-parse", "HEAD")
    refused = _erase(cli, orgs, "--text", "Eva Klein", "--reason", "Austritt", ok=False)
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "agreements/koop/signoffs/v1/caritas.yaml" in refused.stderr  # type: ignore[attr-defined]
    assert "--break-signoffs" in refused.stderr  # type: ignore[attr-defined]
    assert git(orgs.kv.root, "rev-parse", "HEAD") == head
    done = _erase(cli, orgs, "--text", "Eva Klein", "--reason", "Austritt", "--break-signoffs")
    out = done.stdout  # type: ignore[attr-defined]
    assert "Freigabe agreements/koop/signoffs/v1/caritas.yaml: gilt NICHT mehr" in out
    assert "Freigabe agreements/koop/signoffs/v1/jobcenter.yaml: gilt weiter" in out
    assert "Freigabe agreements/koop/signoffs/v1/kreis.yaml: gilt weiter" in out


def test_bad_requests_change_nothing(planted: tuple[Orgs, str], cli: Cli) -> None:
    orgs, _ = planted  # noqa: F811 - the clones of the fixture
    head = git(orgs.kv.root, "rev-parse", "HEAD")
    for args, words in (
        (("--reason", "x"), "nichts zu löschen"),
        (("--text", "ab", "--reason", "x"), "mindestens 3 Zeichen"),
        (("--text", CLIENT), "--reason"),
        (("--contact", "jobcenter/niemand", "--reason", "x"), "gab es in keiner Fassung"),
        (("--contact", "niemand", "--reason", "x"), "PARTNER/KONTAKT"),
        (("--path", "coop.toml", "--reason", "x"), "nie als ganze Datei"),
        (("--path", "minutes/gibt-es-nicht.md", "--reason", "x"), "in keiner Fassung"),
    ):
        result = _erase(cli, orgs, *args, ok=False)
        assert result.exit_code == 2, args  # type: ignore[attr-defined]
        assert words in result.stderr, (args, result.stderr)  # type: ignore[attr-defined]
        assert "Traceback" not in result.stderr  # type: ignore[attr-defined]
    assert git(orgs.kv.root, "rev-parse", "HEAD") == head
    assert git(orgs.kv.root, "status", "--porcelain") == ""
    # A proof needs a text that cannot stand everywhere.
    for text in ("", "ab"):
        result = run(cli, orgs.kv, "privacy", "verify-erased", text, ok=False)
        assert result.exit_code == 2  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_contact_is_erased_with_every_name_mail_and_phone_it_ever_had(
    planted: tuple[Orgs, str], cli: Cli
) -> None:
    orgs, _ = planted  # noqa: F811 - the clones of the fixture
    add = ("partner", "contact", "add", "caritas", "--name", "Petra Neumann")
    run(
        cli,
        orgs.kv,
        *add,
        "--email",
        "p.neumann@caritas.example",
        "--phone",
        "0261 4711-0",
        key=True,
    )
    text = (orgs.kv.root / "partners/caritas.yaml").read_text()
    contact = text.split("- id: ")[-1].split("\n", 1)[0].strip()
    path = orgs.kv.root / "partners/caritas.yaml"
    path.write_text(text.replace("p.neumann@caritas.example", "petra.neumann@caritas.example"))
    run(cli, orgs.kv, "commit", "-m", "Neue Adresse", "partners/caritas.yaml", key=True)
    run(cli, orgs.kv, "sync", key=True)
    _erase(cli, orgs, "--contact", f"caritas/{contact}", "--reason", "Ausgeschieden 2013")
    gone = ("Petra Neumann", "p.neumann@caritas.example", "petra.neumann@", "0261 4711-0")
    for root in (orgs.kv.root, orgs.remote):
        for value in gone:
            assert _objects_holding(root, value) == [], (root, value)
    assert "name: (gelöscht)" in path.read_text()
    run(cli, orgs.kv, "check")
    run(cli, orgs.kv, "agreement", "verify")


@pytest.mark.slow
def test_a_record_nobody_trusted_cannot_block_the_history_it_names(
    planted: tuple[Orgs, str], cli: Cli
) -> None:
    orgs, _ = planted  # noqa: F811 - the clones of the fixture
    from coopkit.model.erasure import Erasure, MappedCommit
    from coopkit.store.codec import dump_record

    head = git(orgs.jc.root, "rev-parse", "HEAD").strip()
    record = Erasure(
        id="2014-02-07-blocking",
        date="2014-02-07",  # type: ignore[arg-type]
        by="X",
        reason="x",
        base=head,
        commits=[MappedCommit(old=head, new="0" * 39 + "1")],
        signer="SHA256:none",
    )
    (orgs.jc.root / "erasures").mkdir()
    (orgs.jc.root / "erasures" / "2014-02-07-blocking.yaml").write_text(dump_record(record))
    git(orgs.jc.root, "add", "erasures")
    subprocess.run(["git", "commit", "-qm", "x"], cwd=orgs.jc.root, env=git_env(), check=True)
    git(orgs.jc.root, "push", "-q", "origin", "HEAD:main")
    run(cli, orgs.ca, "sync", key=True)
    history = run(cli, orgs.ca, "agreement", "verify", "--history", ok=False).stdout  # type: ignore[attr-defined]
    assert "Löschvermerk zählt nicht: nicht signiert" in history


@pytest.mark.slow
def test_version_tags_move_with_the_rewrite_and_travel_to_the_other_clones(
    planted: tuple[Orgs, str], cli: Cli
) -> None:
    orgs, _ = planted  # noqa: F811 - the clones of the fixture
    name = "Caritasverband Beispiel"  # in the partner file since the first commit
    old_tag = git(orgs.kv.root, "rev-parse", "koop/v1^{commit}")
    done = _erase_json(cli, orgs, "--text", name, "--reason", "Test")
    assert done["tags"] == ["koop/v1"]
    assert all(s["after"] for s in done["signoffs"])
    new_tag = git(orgs.kv.root, "rev-parse", "koop/v1^{commit}")
    assert new_tag != old_tag
    for org in (orgs.jc, orgs.ca):
        synced = json.loads(run(cli, org, "--json", "sync", key=True).stdout)  # type: ignore[attr-defined]
        assert synced["tag_conflicts"] == [] and synced["erasures"] == [done["record"]]
        assert git(org.root, "rev-parse", "koop/v1^{commit}") == new_tag
        assert _objects_holding(org.root, name) == []
        run(cli, org, "agreement", "verify", "--history")


@pytest.mark.slow
def test_a_record_cannot_vouch_for_the_commit_that_pins_its_own_key(
    planted: tuple[Orgs, str], cli: Cli
) -> None:
    """The Jobcenter pins its own key (a change the signed history refuses) and signs a record
    that claims the coordinator signed that change: neither counts, in any clone."""
    orgs, _ = planted  # noqa: F811 - the clones of the fixture
    from coopkit.model.erasure import Erasure, MappedCommit
    from coopkit.signing import ssh
    from coopkit.signing.hashing import erasure_payload
    from coopkit.signing.keys import fingerprint
    from coopkit.store.codec import dump_record

    jc_fp = fingerprint(Path(f"{orgs.jc.key}.pub").read_text()) or ""
    kv_fp = fingerprint(Path(f"{orgs.coordinator}.pub").read_text()) or ""
    config = orgs.jc.root / "coop.toml"
    text = config.read_text()
    config.write_text(text.replace('coordinator_keys = ["', f'coordinator_keys = ["{jc_fp}", "'))
    signed = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={orgs.jc.key}"]
    env = git_env()
    # Unsigned: the record is to vouch for it.
    subprocess.run(
        ["git", "commit", "-q", "-m", "Wurzel", "coop.toml"], cwd=orgs.jc.root, env=env, check=True
    )
    pin = git(orgs.jc.root, "rev-parse", "HEAD").strip()
    record = Erasure(
        id="2014-02-07-vouching",
        date="2014-02-07",  # type: ignore[arg-type]
        by="X",
        reason="x",
        base=pin,
        commits=[MappedCommit(old="1" * 40, new=pin, signer=kv_fp)],
        signer=jc_fp,
    )
    record = record.model_copy(
        update={
            "signature": ssh.sign(
                erasure_payload(record), orgs.jc.key, namespace=ssh.ERASURE_NAMESPACE
            )
        }
    )
    (orgs.jc.root / "erasures").mkdir()
    (orgs.jc.root / "erasures" / f"{record.id}.yaml").write_text(dump_record(record))
    git(orgs.jc.root, "add", "erasures")
    subprocess.run(
        ["git", *signed, "commit", "-qS", "-m", "Vermerk"], cwd=orgs.jc.root, env=env, check=True
    )
    git(orgs.jc.root, "push", "-q", "origin", "HEAD:main")
    run(cli, orgs.ca, "sync", key=True, ok=None)
    for org in (orgs.jc, orgs.ca):
        out = run(cli, org, "agreement", "verify", "--history", ok=False).stdout  # type: ignore[attr-defined]
        assert "Wurzel (coop.toml [trust]): ändert die gepinnten Koordinationsschlüssel" in out
        assert "Löschvermerk zählt nicht: signiert mit" in out
