"""A loaded repository: every record with where it came from."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

from coopkit.model.agreement import Agreement
from coopkit.model.base import Located
from coopkit.model.config import Config
from coopkit.model.fulfilment import Fulfilment
from coopkit.model.keys import KeyRegistration, KeyRevocation
from coopkit.model.minutes import Action, ActionRecord, Minutes
from coopkit.model.partner import Partner
from coopkit.model.signoff import SignOff, Withdrawal
from coopkit.model.termination import Termination


@dataclass
class RepoData:
    """All records of one repository (or one revision of it), keyed by id where they have one.

    Filled once by the loader, then only read: the lookup indexes are built on first use.
    """

    config: Located[Config] | None = None
    partners: dict[str, Located[Partner]] = field(default_factory=dict)
    agreements: dict[str, Located[Agreement]] = field(default_factory=dict)
    signoffs: list[Located[SignOff]] = field(default_factory=list)
    fulfilments: list[Located[Fulfilment]] = field(default_factory=list)
    minutes: dict[str, Located[Minutes]] = field(default_factory=dict)
    action_records: list[Located[ActionRecord]] = field(default_factory=list)
    terminations: list[Located[Termination]] = field(default_factory=list)
    withdrawals: list[Located[Withdrawal]] = field(default_factory=list)
    key_registrations: list[Located[KeyRegistration]] = field(default_factory=list)
    key_revocations: list[Located[KeyRevocation]] = field(default_factory=list)
    broken: dict[str, dict[str, str]] = field(default_factory=dict)
    """Records that failed to parse or validate, by kind (partner, agreement, meeting) and the
    id their path names, with that path: references to them are not "unknown"."""
    known_ids: dict[str, frozenset[str]] | None = None
    """Ids of every partner and agreement when only some of them were read (a write's scoped
    check, "partner"/"agreement" -> ids); None when every record was read."""

    def partner_ids(self) -> Collection[str]:
        """Return the id of every partner, read or not."""
        return self.partners.keys() if self.known_ids is None else self.known_ids["partner"]

    def agreement_ids(self) -> Collection[str]:
        """Return the id of every agreement, read or not."""
        return self.agreements.keys() if self.known_ids is None else self.known_ids["agreement"]

    def broken_path(self, kind: str, record_id: str) -> str | None:
        """Return the path of a broken record of this kind and id, or None."""
        return self.broken.get(kind, {}).get(record_id)

    @property
    def broken_paths(self) -> set[str]:
        """Return the paths of every broken record."""
        return {path for by_id in self.broken.values() for path in by_id.values()}

    def find_partner(self, partner_id: str) -> Partner | None:
        """Return the partner with this id, or None."""
        located = self.partners.get(partner_id)
        return located.value if located else None

    def find_agreement(self, agreement_id: str) -> Agreement | None:
        """Return the agreement with this id, or None."""
        located = self.agreements.get(agreement_id)
        return located.value if located else None

    def find_minutes(self, minutes_id: str) -> Minutes | None:
        """Return the minutes with this id, or None."""
        located = self.minutes.get(minutes_id)
        return located.value if located else None

    def find_action(self, action_key: str) -> tuple[Minutes, int, Action] | None:
        """Return (minutes, TOP number, action) for `<meeting-id>#<n>`, or None."""
        meeting_id, _, number = action_key.partition("#")
        minutes = self.find_minutes(meeting_id)
        if minutes is None or not number.isdigit():
            return None
        for top_number, action in minutes.all_actions():
            if action.id == int(number):
                return minutes, top_number, action
        return None

    def signoffs_for(self, agreement_id: str, version: str | None = None) -> list[SignOff]:
        """Return the sign-offs of an agreement, optionally of one version."""
        return [
            s.value
            for s in self.signoffs
            if s.value.agreement == agreement_id and (version is None or s.value.version == version)
        ]

    @cached_property
    def _fulfilments_by_agreement(self) -> dict[str, list[Fulfilment]]:
        index: dict[str, list[Fulfilment]] = {}
        for located in self.fulfilments:
            agreement_id = located.path.split("/")[1]
            index.setdefault(agreement_id, []).append(located.value)
        return index

    @cached_property
    def closing_records(self) -> dict[str, ActionRecord]:
        """Return action key -> the record that closed it (the first one if repeated)."""
        index: dict[str, ActionRecord] = {}
        for located in self.action_records:
            index.setdefault(located.value.action, located.value)
        return index

    @cached_property
    def known_people(self) -> frozenset[str]:
        """Every valid person reference: each partner id and each `partner/contact`."""
        refs: set[str] = set()
        for partner_id, located in self.partners.items():
            refs.add(partner_id)
            refs.update(f"{partner_id}/{c.id}" for c in located.value.contacts)
        return frozenset(refs)

    def terminations_for(self, agreement_id: str) -> list[Located[Termination]]:
        """Return the termination records stored under an agreement."""
        prefix = f"agreements/{agreement_id}/"
        return [t for t in self.terminations if t.path.startswith(prefix)]

    def fulfilments_for(self, agreement_id: str) -> list[Fulfilment]:
        """Return the fulfilment records stored under an agreement."""
        return list(self._fulfilments_by_agreement.get(agreement_id, []))

    def action_record(self, action_key: str) -> ActionRecord | None:
        """Return the closing record of an action, or None while it is open."""
        return self.closing_records.get(action_key)
