from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import Cli, MakeRepo, git, tree_state
from coopkit.store.codec import parse_partner
from coopkit.store.text import decode_text

TRICKY = "Müller & Söhne <GmbH> \"Alt\" 'neu' „Beratung“"


def _partner(root: Path, partner_id: str):  # type: ignore[no-untyped-def]
    path = f"partners/{partner_id}.yaml"
    textfile, problems = decode_text(path, (root / path).read_bytes())
    assert textfile is not None and not problems
    located, problems = parse_partner(textfile)
    assert located is not None, problems
    return located.value


def test_partner_add_writes_file_and_commits_once(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    before = git(root, "rev-list", "--count", "HEAD").strip()
    cli(
        "-C",
        root,
        "partner",
        "add",
        "awo",
        "--name",
        TRICKY,
        "--short",
        "AWO",
        "--address",
        "Bahnhofstraße 9, 01067 Koblenz",
        "--represented-by",
        "Vorstand",
    )
    partner = _partner(root, "awo")
    assert partner.name == TRICKY
    assert partner.address is not None and partner.address.postcode == "01067"
    assert partner.address.street == "Bahnhofstraße 9"
    assert partner.represented_by == "Vorstand"
    assert int(git(root, "rev-list", "--count", "HEAD")) == int(before) + 1
    assert (
        git(root, "log", "-1", "--format=%an|%s").strip() == "Gisela Bernert|Partner awo angelegt"
    )
    assert git(root, "status", "--porcelain").strip() == ""
    cli("-C", root, "check")


def test_partner_add_refuses_existing_and_bad_id(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    before = tree_state(root)
    result = cli("-C", root, "partner", "add", "kreis", "--name", "X", ok=False)
    assert result.exit_code == 2
    assert "gibt es schon" in result.stderr
    result = cli("-C", root, "partner", "add", "Böse/../x", "--name", "X", ok=False)
    assert result.exit_code == 2
    assert tree_state(root) == before


def test_contact_add_keeps_comments_and_derives_id(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo(
        {
            "partners/caritas.yaml": "# Kommentar bleibt\nid: caritas\nname: C\n"
            "contacts:\n  - id: klein  # Leitung\n    name: Eva Klein\n"
        }
    )
    cli(
        "-C",
        root,
        "partner",
        "contact",
        "add",
        "caritas",
        "--name",
        "Jörg Klein",
        "--function",
        TRICKY,
        "--email",
        "j.klein@caritas.example",
        "--topic",
        "migration",
        "--topic",
        "datenschutz",
    )
    cli("-C", root, "partner", "contact", "add", "caritas", "--name", "Anna Weiß")
    text = (root / "partners/caritas.yaml").read_text()
    assert text.startswith("# Kommentar bleibt\n")
    assert "# Leitung" in text
    partner = _partner(root, "caritas")
    ids = [c.id for c in partner.contacts]
    assert ids == ["klein", "joerg-klein", "anna-weiss"]
    assert partner.contacts[1].function == TRICKY
    assert partner.contacts[1].topics == ["migration", "datenschutz"]


def test_partner_list_and_show_json(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    listed = json.loads(cli("-C", root, "--json", "partner", "list").stdout)["partners"]
    assert [p["id"] for p in listed] == ["caritas", "jobcenter", "kreis"]
    shown = json.loads(cli("-C", root, "--json", "partner", "show", "kreis").stdout)
    assert shown["represented_by"] == "Landrat"
    text = cli("-C", root, "partner", "show", "kreis").stdout
    assert "vertreten durch: Landrat" in text and "bernert" in text
    result = cli("-C", root, "partner", "show", "nobody", ok=False)
    assert result.exit_code == 6


def test_key_add_writes_a_signed_registration_and_refuses_private(
    make_repo: MakeRepo, cli: Cli, ssh_keygen: str, tmp_path: Path
) -> None:
    root = make_repo()
    key, coordinator = tmp_path / "id_kreis", tmp_path / "coordinator"
    for path in (key, coordinator):
        subprocess.run(
            [ssh_keygen, "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
            check=True,
        )
    cli("-C", root, "trust", "pin", f"{coordinator}.pub")
    before = tree_state(root)
    common = ("--ssh-key", coordinator, "--confirmed", "per Brief vom 03.02.2014")
    result = cli("-C", root, "partner", "key", "add", "kreis", key, *common, ok=False)
    assert result.exit_code == 2
    result = cli(
        "-C", root, "partner", "key", "add", "kreis", f"{key}.pub", "--confirmed", "x", ok=False
    )
    assert result.exit_code == 2 and "--ssh-key" in result.stderr
    assert tree_state(root) == before
    cli(
        "-C",
        root,
        "partner",
        "key",
        "add",
        "kreis",
        f"{key}.pub",
        *common,
        "--signatory",
        "Dr. Landrat",
        "--valid-after",
        "2013-01-01",
        "--valid-before",
        "2016-01-01",
    )
    [record] = (root / "keys/kreis").glob("*.yaml")
    text = record.read_text()
    assert "signatory: Dr. Landrat" in text and "registered_by: Gisela Bernert" in text
    assert "confirmed: per Brief vom 03.02.2014" in text and "BEGIN SSH SIGNATURE" in text
    assert "valid_before: 2016-01-01" in text
    assert "fingerprint: SHA256:" in text
    result = cli("-C", root, "partner", "key", "add", "kreis", f"{key}.pub", *common, ok=False)
    assert "schon registriert" in result.stderr
    shown = cli("-C", root, "trust", "show").stdout
    assert "kreis: SHA256:" in shown and "registriert von Gisela Bernert" in shown
    # The key problems are gone; the unsigned approvals of before the pin no longer count.
    checked = cli("-C", root, "check", ok=False).stdout
    assert checked.count("Freigabe zählt nicht: ohne Signatur") == 3
    assert "3 Problem(e) in 3 Datei(en)" in checked


def test_partner_add_address_without_comma_is_split(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    cli(
        "-C",
        root,
        "partner",
        "add",
        "awo",
        "--name",
        "AWO",
        "--address",
        "Bahnhofstraße 9 56068 Koblenz",
    )
    address = _partner(root, "awo").address
    assert (address.street, address.postcode, address.city) == (
        "Bahnhofstraße 9",
        "56068",
        "Koblenz",
    )


def test_partner_add_address_parts_and_contact_details(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    cli(
        "-C",
        root,
        "partner",
        "add",
        "awo",
        "--name",
        "AWO",
        "--street",
        "Am Wasserturm 5a",
        "--postcode",
        "01067",
        "--city",
        "Koblenz-Lützel",
        "--email",
        "info@awo.example",
        "--phone",
        "0261 1234",
    )
    partner = _partner(root, "awo")
    assert partner.address is not None
    assert (partner.address.street, partner.address.postcode, partner.address.city) == (
        "Am Wasserturm 5a",
        "01067",
        "Koblenz-Lützel",
    )
    assert partner.email == "info@awo.example" and partner.phone == "0261 1234"


def test_partner_add_refuses_an_address_it_cannot_split(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    before = tree_state(root)
    result = cli(
        "-C", root, "partner", "add", "awo", "--name", "AWO", "--address", "Koblenz", ok=False
    )
    assert result.exit_code == 2
    assert "„Koblenz“ lässt sich nicht in Straße, PLZ und Ort teilen" in result.stderr
    assert "--street" in result.stderr
    result = cli(
        "-C",
        root,
        "partner",
        "add",
        "awo",
        "--name",
        "AWO",
        "--address",
        "Weg 1, 56068 Ort",
        "--city",
        "Ort",
        ok=False,
    )
    assert result.exit_code == 2 and "nicht beides" in result.stderr
    assert tree_state(root) == before


def test_contact_ids_keep_every_word_of_the_name(make_repo: MakeRepo, cli: Cli) -> None:
    root = make_repo()
    cli("-C", root, "partner", "contact", "add", "caritas", "--name", "Aylin Yıldız")
    cli("-C", root, "partner", "contact", "add", "caritas", "--name", "Jan de Vries")
    ids = [c.id for c in _partner(root, "caritas").contacts]
    assert ids == ["klein", "aylin-yildiz", "jan-de-vries"]
