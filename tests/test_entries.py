"""When records entered the history: the commit order that key validity follows."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import git
from coopkit.queries import entries
from coopkit.queries.entries import NOT_ENTERED, History


def _commit(root: Path, files: dict[str, str], message: str, day: str) -> str:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        git(root, "add", "--", name)
    git(root, "commit", "-qm", message, "--date", f"{day}T12:00:00+00:00")
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


def _signoff(n: int) -> str:
    return f"agreements/a{n:02d}/signoffs/v1/p.yaml"


def test_asking_by_name_and_by_kind_give_the_same_entries(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _commit(repo, {_signoff(n): "a\n" for n in range(60)}, "first", "2014-01-01")
    second = _commit(repo, {_signoff(n): "b\n" for n in range(0, 60, 2)}, "second", "2014-01-02")
    paths = [_signoff(n) for n in range(60)] + ["agreements/zz/signoffs/v1/none.yaml"]
    monkeypatch.setattr(entries, "_LITERAL_PATHS", 10_000)
    by_name = History(repo, None).entries(paths)
    monkeypatch.setattr(entries, "_LITERAL_PATHS", 0)
    by_kind = History(repo, None).entries(paths)
    assert by_name == by_kind
    assert by_kind[_signoff(0)].commit == second and by_kind[_signoff(0)].changed
    assert by_kind[_signoff(1)].commit == first and not by_kind[_signoff(1)].changed
    assert by_kind["agreements/zz/signoffs/v1/none.yaml"] == NOT_ENTERED


def test_a_record_on_a_parallel_branch_did_not_enter_before_the_revocation(repo: Path) -> None:
    base = _commit(repo, {"keys/p/k.yaml": "key\n"}, "register", "2014-01-01")
    git(repo, "checkout", "-q", "-b", "side")
    # Dated and committed "before" the revocation, on a branch that forked before it.
    _commit(repo, {_signoff(1): "approval\n"}, "approve", "2014-01-05")
    git(repo, "checkout", "-q", "main")
    _commit(repo, {"keys/p/k.revoked.yaml": "revoked\n"}, "revoke", "2014-01-10")
    git(repo, "merge", "-q", "--no-edit", "side")
    history = History(repo, None)
    found = history.entries([_signoff(1), "keys/p/k.revoked.yaml", "keys/p/k.yaml"])
    approval, revocation = found[_signoff(1)], found["keys/p/k.revoked.yaml"]
    assert not history.before(approval, revocation)
    assert not history.before(revocation, approval)
    assert history.before(found["keys/p/k.yaml"], approval)
    assert found["keys/p/k.yaml"].commit == base


def test_a_merge_that_writes_a_record_of_its_own_is_where_it_entered(repo: Path) -> None:
    _commit(repo, {"keys/p/k.yaml": "key\n"}, "register", "2014-01-01")
    git(repo, "checkout", "-q", "-b", "side")
    _commit(repo, {"partners/x.yaml": "x\n"}, "side", "2014-01-02")
    git(repo, "checkout", "-q", "main")
    _commit(repo, {"partners/y.yaml": "y\n"}, "main", "2014-01-03")
    git(repo, "merge", "-q", "--no-commit", "side")
    (repo / _signoff(3)).parent.mkdir(parents=True)
    (repo / _signoff(3)).write_text("smuggled\n")
    git(repo, "add", "--", _signoff(3))
    git(repo, "commit", "-qm", "merge")
    merge = git(repo, "rev-parse", "HEAD").strip()
    assert History(repo, None).entry(_signoff(3)).commit == merge


def test_an_uncommitted_record_has_not_entered(repo: Path) -> None:
    _commit(repo, {_signoff(1): "a\n"}, "first", "2014-01-01")
    (repo / _signoff(1)).write_text("changed\n")
    (repo / _signoff(2)).parent.mkdir(parents=True)
    (repo / _signoff(2)).write_text("new\n")
    history = History(repo, None)
    found = history.entries([_signoff(1), _signoff(2)])
    assert found == {_signoff(1): NOT_ENTERED, _signoff(2): NOT_ENTERED}
    assert not history.before(found[_signoff(1)], found[_signoff(2)])
    assert history.by(found[_signoff(1)], found[_signoff(2)])
