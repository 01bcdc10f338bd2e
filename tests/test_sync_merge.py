"""Sync merges records field- and list-wise; --keep settles only the fields both changed."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Cli, git
from test_collaboration import Org, Orgs, orgs, run

__all__ = ["orgs"]


def _edit(org: Org, cli: Cli, path: str, old: str, new: str, message: str) -> None:
    target = org.root / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new))
    run(cli, org, "commit", "-m", message, path)


def _head(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def test_contacts_added_in_two_clones_are_both_kept(orgs: Orgs, cli: Cli) -> None:
    run(cli, orgs.jc, "partner", "contact", "add", "jobcenter", "--name", "Ayşe Yılmaz")
    run(cli, orgs.ca, "partner", "contact", "add", "jobcenter", "--name", "Petra Neumann")
    run(cli, orgs.jc, "sync")
    result = json.loads(run(cli, orgs.ca, "--json", "sync").stdout)  # type: ignore[attr-defined]
    assert result["resolved"] == []
    run(cli, orgs.jc, "sync")
    for org in (orgs.jc, orgs.ca):
        text = (org.root / "partners/jobcenter.yaml").read_text()
        assert text.index("Jan Meyer") < text.index("Ayşe Yılmaz") < text.index("Petra Neumann")
        run(cli, org, "check")
    assert _head(orgs.jc.root) == _head(orgs.ca.root)


def test_keep_mine_settles_the_conflicting_field_and_keeps_the_others(orgs: Orgs, cli: Cli) -> None:
    path = "partners/kreis.yaml"
    _edit(orgs.jc, cli, path, "short: Kreis", "short: Kreis JC", "Kurzname")
    _edit(orgs.jc, cli, path, "Rita Vogt", "Rita Vogt-Berg", "Neuer Name")
    run(cli, orgs.jc, "sync")
    _edit(orgs.ca, cli, path, "short: Kreis", "short: Kreis CA", "Kurzname")
    _edit(orgs.ca, cli, path, "function: Integrationsbeauftragte", "function: Leitung", "Funktion")
    before = _head(orgs.ca.root)
    refused = run(cli, orgs.ca, "sync", ok=False)
    assert refused.exit_code == 5  # type: ignore[attr-defined]
    assert "widersprüchlich: short" in refused.stderr  # type: ignore[attr-defined]
    assert _head(orgs.ca.root) == before
    synced = json.loads(run(cli, orgs.ca, "--json", "sync", "--keep", "mine").stdout)  # type: ignore[attr-defined]
    assert synced["resolved"] == [path]
    run(cli, orgs.jc, "sync")
    for org in (orgs.ca, orgs.jc):
        text = (org.root / path).read_text()
        assert "short: Kreis CA\n" in text  # the conflicting field: mine
        assert "representative: Rita Vogt-Berg\n" in text  # changed only there: kept
        assert "function: Leitung\n" in text  # changed only here: kept
        assert "<<<<<<<" not in text
        run(cli, org, "check")


def test_keep_theirs_settles_one_section_and_keeps_the_rest_of_the_agreement(
    orgs: Orgs, cli: Cli
) -> None:
    path = "agreements/koop/agreement.md"
    _edit(orgs.jc, cli, path, "Zuwanderer früh", "Zugewanderte früh", "§ 1 JC")
    _edit(orgs.jc, cli, path, "notice_period: P3M", "notice_period: P6M", "Kündigungsfrist")
    run(cli, orgs.jc, "sync")
    _edit(orgs.ca, cli, path, "Zuwanderer früh", "Neu Zugewanderte früh", "§ 1 CA")
    _edit(orgs.ca, cli, path, "informiert vierteljährlich", "informiert monatlich", "§ 2 CA")
    refused = run(cli, orgs.ca, "--lang", "en", "sync", ok=False)
    assert "in conflict: (Markdown) ## § 1 Ziele" in refused.stderr  # type: ignore[attr-defined]
    run(cli, orgs.ca, "sync", "--keep", "theirs")
    text = (orgs.ca.root / path).read_text()
    assert "(1) Zugewanderte früh" in text and "Neu Zugewanderte" not in text
    assert "notice_period: P6M" in text and "informiert monatlich" in text


def test_a_local_release_follows_its_commit_through_keep_theirs(orgs: Orgs, cli: Cli) -> None:
    _edit(orgs.jc, cli, "partners/kreis.yaml", "short: Kreis", "short: Kreis JC", "Kurzname")
    run(cli, orgs.jc, "sync")
    agreement = "agreements/koop/agreement.md"
    _edit(orgs.kv, cli, agreement, "review_cycle: P1Y", "review_cycle: P2Y", "Überprüfung")
    _edit(orgs.kv, cli, "partners/kreis.yaml", "short: Kreis", "short: KV", "Kurzname")
    # Released on the commit whose only change will lose against the remote's.
    run(cli, orgs.kv, "agreement", "release", "koop", "--date", "2014-02-01")
    released = git(orgs.kv.root, "rev-parse", "koop/v2^{commit}").strip()
    message = git(orgs.kv.root, "tag", "-l", "--format=%(taggername) %(taggerdate) %(contents)")
    run(cli, orgs.kv, "sync", ok=False)
    result = json.loads(run(cli, orgs.kv, "--json", "sync", "--keep", "theirs").stdout)  # type: ignore[attr-defined]
    assert result["moved_tags"] == ["koop/v2"]
    tagged = git(orgs.kv.root, "rev-parse", "koop/v2^{commit}").strip()
    assert tagged != released
    assert git(orgs.kv.root, "merge-base", "--is-ancestor", tagged, "HEAD") == ""
    assert git(orgs.kv.root, "show", f"{tagged}:{agreement}") == git(
        orgs.kv.root, "show", f"{released}:{agreement}"
    )
    assert (
        git(orgs.kv.root, "tag", "-l", "--format=%(taggername) %(taggerdate) %(contents)")
        == message
    )
    assert "short: Kreis JC" in (orgs.kv.root / "partners/kreis.yaml").read_text()
    run(cli, orgs.ca, "sync")
    assert git(orgs.ca.root, "rev-parse", "koop/v2^{commit}").strip() == tagged
    run(cli, orgs.ca, "check")


def test_a_published_tag_is_never_moved(orgs: Orgs, cli: Cli) -> None:
    agreement = "agreements/koop/agreement.md"
    _edit(orgs.kv, cli, agreement, "review_cycle: P1Y", "review_cycle: P2Y", "Überprüfung")
    run(cli, orgs.kv, "agreement", "release", "koop", "--date", "2014-02-01")
    git(orgs.kv.root, "push", "-q", "origin", "refs/tags/koop/v2")
    run(cli, orgs.jc, "partner", "contact", "add", "jobcenter", "--name", "Ayşe Yılmaz")
    run(cli, orgs.jc, "sync")
    before = _head(orgs.kv.root), git(orgs.kv.root, "rev-parse", "koop/v2").strip()
    refused = run(cli, orgs.kv, "sync", ok=False)
    assert refused.exit_code == 5  # type: ignore[attr-defined]
    assert "koop/v2 ist schon auf origin veröffentlicht" in refused.stderr  # type: ignore[attr-defined]
    assert (_head(orgs.kv.root), git(orgs.kv.root, "rev-parse", "koop/v2").strip()) == before


def test_a_release_whose_text_the_sync_would_change_is_explained(orgs: Orgs, cli: Cli) -> None:
    agreement = "agreements/koop/agreement.md"
    _edit(orgs.jc, cli, agreement, "notice_period: P3M", "notice_period: P6M", "Frist")
    run(cli, orgs.jc, "sync")
    _edit(orgs.kv, cli, agreement, "review_cycle: P1Y", "review_cycle: P2Y", "Überprüfung")
    run(cli, orgs.kv, "agreement", "release", "koop", "--date", "2014-02-01")
    before = _head(orgs.kv.root), git(orgs.kv.root, "rev-parse", "koop/v2").strip()
    refused = run(cli, orgs.kv, "sync", ok=False)
    assert "die Fassung koop/v2 wurde hier veröffentlicht" in refused.stderr  # type: ignore[attr-defined]
    assert "git tag -d koop/v2" in refused.stderr  # type: ignore[attr-defined]
    assert (_head(orgs.kv.root), git(orgs.kv.root, "rev-parse", "koop/v2").strip()) == before
    assert git(orgs.kv.root, "status", "--porcelain") == ""
