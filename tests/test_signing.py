from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import Cli, MakeRepo, git, git_env
from coopkit.model.signoff import SignOff
from coopkit.signing import hashing

TRICKY = "Müller & Söhne <GmbH> \"Alt\" 'neu' „Beratung“"


def _key(ssh_keygen: str, directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(
        [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key


def load_signoff(path: Path) -> SignOff:
    """Parse a sign-off record file."""
    from coopkit.store.codec import parse_signoff
    from coopkit.store.text import decode_text

    textfile, _ = decode_text(path.name, path.read_bytes())
    assert textfile is not None
    located, problems = parse_signoff(textfile)
    assert located is not None, problems
    return located.value


def pin(cli: Cli, root: Path, coordinator: Path) -> None:
    """Pin the coordinator's key in coop.toml."""
    cli("-C", root, "trust", "pin", f"{coordinator}.pub")


def register(cli: Cli, root: Path, partner: str, key: Path, by: Path, *extra: str) -> None:
    """Register `key` for `partner`, signed by the key `by`."""
    cli(
        "-C",
        root,
        "partner",
        "key",
        "add",
        partner,
        f"{key}.pub",
        "--ssh-key",
        by,
        "--confirmed",
        "per Brief vom 03.02.2014",
        *(extra if "--date" in extra else (*extra, "--date", "2014-01-10")),
    )


@pytest.fixture
def signed_repo(make_repo: MakeRepo, cli: Cli, ssh_keygen: str, tmp_path: Path) -> Path:
    """A repository with koop v1 released and approved by kreis with a registered SSH key."""
    root = make_repo(approve=False)
    key = _key(ssh_keygen, tmp_path, "kreis")
    coordinator = tmp_path / "coordinator"
    if not coordinator.exists():
        _key(ssh_keygen, tmp_path, "coordinator")
    pin(cli, root, coordinator)
    register(
        cli,
        root,
        "kreis",
        key,
        coordinator,
        "--signatory",
        TRICKY,
        "--valid-after",
        "2013-01-01",
        "--valid-before",
        "2015-01-01",
    )
    cli("-C", root, "agreement", "release", "koop", "--date", "2014-01-10")
    cli(
        "-C",
        root,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "kreis",
        "--signatory",
        TRICKY,
        "--function",
        "Landrat „i. V.“",
        "--place",
        "Koblenz",
        "--date",
        "2014-01-20",
        "--ssh-key",
        key,
    )
    return root


def test_ssh_signed_signoff_verifies(signed_repo: Path, cli: Cli) -> None:
    record = (signed_repo / "agreements/koop/signoffs/v1/kreis.yaml").read_text()
    assert "signature: |" in record and "BEGIN SSH SIGNATURE" in record
    result = cli("-C", signed_repo, "agreement", "verify", "koop")
    assert "SSH-Signatur gültig" in result.stdout
    assert "freigegeben (intern)" in result.stdout
    assert "rechtsgültig" not in result.stdout


def _fails(cli: Cli, root: Path, reason: str) -> None:
    result = cli("-C", root, "agreement", "verify", ok=False)
    assert result.exit_code == 1
    assert f"agreements/koop/signoffs/v1/kreis.yaml: {reason}" in result.stdout, result.stdout


def test_verify_fails_when_the_record_is_edited(signed_repo: Path, cli: Cli) -> None:
    path = signed_repo / "agreements/koop/signoffs/v1/kreis.yaml"
    path.write_text(path.read_text().replace("place: Koblenz", "place: Mayen"))
    _fails(cli, signed_repo, "SSH-Signatur passt nicht")
    git(signed_repo, "commit", "-qam", "edit record")
    _fails(cli, signed_repo, "Eintrag wurde geändert, nachdem er eingetragen war")


def test_verify_fails_when_the_version_text_is_changed(signed_repo: Path, cli: Cli) -> None:
    path = signed_repo / "agreements/koop/agreement.md"
    path.write_text(path.read_text().replace("P3M", "P6M"))
    git(signed_repo, "commit", "-qam", "change text")
    subprocess.run(
        ["git", "tag", "-f", "-a", "-m", "moved", "koop/v1"],
        cwd=signed_repo,
        env={**git_env(), "GIT_COMMITTER_DATE": "2014-01-10T12:00:00+00:00"},
        check=True,
        capture_output=True,
    )
    _fails(cli, signed_repo, "Inhalts-Hash passt nicht zum Text von v1")


def test_comment_only_change_keeps_the_hash(signed_repo: Path, cli: Cli) -> None:
    path = signed_repo / "agreements/koop/agreement.md"
    path.write_text(
        path.read_text().replace("review_cycle: P1Y", "review_cycle: P1Y   # Kommentar")
    )
    git(signed_repo, "commit", "-qam", "comment")
    subprocess.run(
        ["git", "tag", "-f", "-a", "-m", "moved", "koop/v1"],
        cwd=signed_repo,
        env={**git_env(), "GIT_COMMITTER_DATE": "2014-01-10T12:00:00+00:00"},
        check=True,
        capture_output=True,
    )
    cli("-C", signed_repo, "agreement", "verify")


def test_verify_fails_for_an_unregistered_key(
    signed_repo: Path, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    # A key written into the partner file by hand does not count, and check says so.
    path = signed_repo / "partners/kreis.yaml"
    other = _key(ssh_keygen, tmp_path, "other")
    path.write_text(
        path.read_text() + f"keys:\n  - key: {Path(f'{other}.pub').read_text().strip()}\n"
    )
    record = signed_repo / "agreements/koop/signoffs/v1/kreis.yaml"
    signoff = load_signoff(record)
    signature = subprocess.run(
        [ssh_keygen, "-Y", "sign", "-q", "-n", "coopkit-signoff", "-f", str(other)],
        input=hashing.record_payload(signoff),
        capture_output=True,
        check=True,
    ).stdout.decode()
    text = record.read_text()
    start = text.index("signature: |")
    record.write_text(
        text[:start]
        + "signature: |\n"
        + "".join(f"  {line}\n" for line in signature.strip().splitlines())
    )
    git(signed_repo, "commit", "-qam", "replace key")
    _fails(cli, signed_repo, "signiert mit SHA256:")
    result = cli("-C", signed_repo, "check", ok=False)
    assert "steht nur in der Partnerdatei und zählt nicht" in result.stdout


def test_verify_fails_outside_the_key_validity(signed_repo: Path, cli: Cli) -> None:
    # Editing the registration breaks its signature: the key is no longer trusted at all.
    [path] = (signed_repo / "keys/kreis").glob("*.yaml")
    path.write_text(
        path.read_text().replace("valid_before: 2015-01-01", "valid_before: 2014-01-20")
    )
    git(signed_repo, "commit", "-qam", "key expires")
    _fails(cli, signed_repo, "signiert mit SHA256:")
    assert (
        "kein vertrauenswürdiger Schlüssel von kreis"
        in cli("-C", signed_repo, "agreement", "verify", ok=False).stdout
    )
    assert (
        "Signatur der Registrierung gilt nicht" in cli("-C", signed_repo, "check", ok=False).stdout
    )


def test_verify_fails_for_a_signature_by_another_partner(
    signed_repo: Path, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    key = _key(ssh_keygen, tmp_path, "caritas")
    before = git(signed_repo, "rev-parse", "HEAD")
    # An unregistered key is refused at signing time already.
    result = cli(
        "-C",
        signed_repo,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "caritas",
        "--signatory",
        "Eva Klein",
        "--ssh-key",
        key,
        ok=False,
    )
    assert result.exit_code == 2 and "kein vertrauenswürdiger Schlüssel" in result.stderr
    assert git(signed_repo, "rev-parse", "HEAD") == before
    # kreis's key used for caritas's record does not verify against caritas's key.
    register(cli, signed_repo, "caritas", key, tmp_path / "coordinator")
    path = signed_repo / "agreements/koop/signoffs/v1/kreis.yaml"
    target = signed_repo / "agreements/koop/signoffs/v1/caritas.yaml"
    target.write_text(path.read_text().replace("partner: kreis", "partner: caritas"))
    git(signed_repo, "add", "-A")
    git(signed_repo, "commit", "-qm", "forged")
    result = cli("-C", signed_repo, "agreement", "verify", ok=False)
    assert "agreements/koop/signoffs/v1/caritas.yaml: signiert mit SHA256:" in result.stdout, (
        result.stdout
    )
    assert "(gehört zu kreis)" in result.stdout
    assert "agreements/koop/signoffs/v1/kreis.yaml: ok" in result.stdout


def test_require_ssh_refuses_unsigned_and_verify_reports_it(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(approve=False)
    cli("-C", root, "agreement", "release", "koop")
    cli("-C", root, "agreement", "sign", "koop", "--partner", "kreis", "--signatory", "X")
    config = root / "coop.toml"
    config.write_text(config.read_text() + "\n[signing]\nrequire_ssh = true\n")
    git(root, "commit", "-qam", "require ssh")
    result = cli(
        "-C",
        root,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "caritas",
        "--signatory",
        "X",
        ok=False,
    )
    assert result.exit_code == 2 and "require_ssh" in result.stderr
    result = cli("-C", root, "agreement", "verify", "koop", ok=False)
    assert "kreis.yaml: keine SSH-Signatur" in result.stdout


def test_verify_reports_unreleased_version_and_uncommitted_record(
    make_repo: MakeRepo, cli: Cli
) -> None:
    root = make_repo(approve=False)
    record = (
        "agreement: koop\nversion: v7\npartner: kreis\nsignatory: X\ndate: 2014-01-01\n"
        "content_hash: sha256:00\n"
    )
    path = root / "agreements/koop/signoffs/v7/kreis.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(record)
    result = cli("-C", root, "--lang", "en", "agreement", "verify", ok=False)
    assert "agreements/koop/signoffs/v7/kreis.yaml: version v7 of koop is not released" in (
        result.stdout
    )
    assert "agreements/koop/signoffs/v7/kreis.yaml: record is not committed" in result.stdout


def test_record_payload_excludes_signature_and_round_trips_values() -> None:
    base = {
        "agreement": "koop",
        "version": "v1",
        "partner": "kreis",
        "signatory": TRICKY,
        "date": "2014-01-20",
        "content_hash": "sha256:ab",
    }
    plain = SignOff.model_validate(base)
    signed = SignOff.model_validate({**base, "signature": "SIG"})
    assert hashing.record_payload(plain) == hashing.record_payload(signed)
    assert json.loads(hashing.record_payload(plain))["signatory"] == TRICKY


def test_ssh_keygen_refusals_are_said_in_the_chosen_language(
    signed_repo: Path, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    # ssh-keygen speaks English only; coop names the cause in German (and in English on request).
    record = signed_repo / "agreements/koop/signoffs/v1/kreis.yaml"
    record.write_text(record.read_text().replace("place: Koblenz", "place: Mayen"))
    german = cli("-C", signed_repo, "agreement", "verify", ok=False).stdout
    assert "die Signatur passt nicht zu Text und Schlüssel" in german
    assert "Could not verify" not in german and "signature." not in german
    english = cli("-C", signed_repo, "--lang", "en", "agreement", "verify", ok=False).stdout
    assert "the signature does not match text and key" in english
    # An unreadable key file at signing time: the cause in words, no English in German output.
    broken = tmp_path / "broken-key"
    broken.write_text("not a key\n")
    result = cli(
        "-C",
        signed_repo,
        "agreement",
        "sign",
        "koop",
        "--partner",
        "kreis",
        "--signatory",
        "Eva Klein",
        "--ssh-key",
        broken,
        ok=False,
    )
    assert result.exit_code == 2
    assert "No such file" not in result.stderr and "Couldn't" not in result.stderr
