"""Answers remembered by the state of the working tree, so an unchanged repository answers fast.

A view (status, due list, obligation rows, an agreement's page) is a pure function of the
records, the version tags, the program, the day and the question. `remember` keys the answer by
all of them (see `queries.state`) and keeps it in .coop/state.sqlite; the records are loaded
only when no stored answer fits. The stored answer is the very object the computation returned,
so a remembered answer and a fresh one cannot differ.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable
from dataclasses import is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from coopkit.index.state import StateDB
from coopkit.queries.state import scan

if TYPE_CHECKING:
    from coopkit.queries.context import Context
    from coopkit.queries.load import ProgressFn, Snapshot
    from coopkit.queries.state import TreeState

R = TypeVar("R")

_PLAIN = {("datetime", "date"), ("datetime", "datetime")}


class _Answers(pickle.Unpickler):
    """Unpickle only plain values, dates and this program's data classes, nothing callable."""

    def find_class(self, module: str, name: str) -> Any:
        found = super().find_class(module, name)
        if (module, name) in _PLAIN or (
            module.startswith("coopkit.") and isinstance(found, type) and is_dataclass(found)
        ):
            return found
        raise pickle.UnpicklingError(f"{module}.{name} is not an answer")


def remember(
    ctx: Context,
    question: str,
    params: tuple[object, ...],
    compute: Callable[[Snapshot], R],
    progress: ProgressFn | None = None,
    *,
    facts: bool = False,
) -> R:
    """Return `compute(snapshot)`, from the stored answer when the tree and question are unchanged.

    Args:
        ctx: the repository and the day, language and settings the answer depends on.
        question: a name for the view, unique per computation.
        params: everything else the answer depends on (options, filters), as plain values.
        compute: the computation over a fresh snapshot.
        progress: told how far reading the records got, when they must be read.
        facts: try the derived facts first (`queries.facts`): the view asks only for what they
            keep, or says so and is answered from all records.
    """
    with StateDB(ctx.root) as db:
        state = scan(ctx.root, db)
        wanted = repr((question, params, ctx.today.isoformat(), ctx.lang, state.key))
        key = hashlib.sha256(wanted.encode()).hexdigest()
        stored = db.get_answer(key)
        if stored is not None:
            try:
                result: R = _Answers(io.BytesIO(stored)).load()
            except Exception:  # noqa: BLE001 - a damaged or foreign answer is computed again
                pass
            else:
                return result
        # Only now the records are read: a remembered answer needs neither them nor the models.
        result = _compute(ctx, state, db, compute, progress, facts=facts)
        try:
            value = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return result
        db.put_answer(key, value)
        return result


def _compute(
    ctx: Context,
    state: TreeState,
    db: StateDB,
    compute: Callable[[Snapshot], R],
    progress: ProgressFn | None,
    *,
    facts: bool,
) -> R:
    """Compute an answer from the derived facts where they suffice, else from all records."""
    if facts:
        from coopkit.queries.facts import NeedsRecords, facts_snapshot

        served = facts_snapshot(ctx, state, progress)
        if served is not None:
            try:
                return compute(served)
            except NeedsRecords:
                pass
    from coopkit.queries.load import snapshot_of_state
    from coopkit.queries.scope import remember_keys

    snap = snapshot_of_state(ctx, state, progress)
    remember_keys(db, state, snap.data)
    return compute(snap)
