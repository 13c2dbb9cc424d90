"""Which customers a unit of work changed, so that caches of customer rows can be invalidated.

It also notes whose referral numbers (invited, paying) it changed: the repository that records a referral
or an invitee's first payment names the referrer (:func:`note_referrer`, or the ``referrers_noted``
execution option on its statement); any other ``UPDATE``/``DELETE`` of referrals marks them unknown. A
commission credited changes the inviter's balance, so the inviter's row is among the changed customers.

Sessions of :class:`TrackedSession` note every ``customers`` row they change: ORM objects modified or
deleted at flush time, and bulk ``UPDATE``/``DELETE`` statements (their ``WHERE`` names the rows by
``id`` or ``telegram_id``; a statement that names them otherwise marks "some rows, unknown"). After the
commit, :class:`remnastore.db.session.Database` hands the collected :class:`CustomerChanges` to its
listener. Nothing is collected for a unit of work that rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList, ColumnElement

from remnastore.db.models import Customer, Referral

INFO_KEY = "remnastore.customer_changes"
_TABLE = Customer.__tablename__
_REFERRALS = Referral.__tablename__
#: Execution option of a referrals statement whose referrers were noted with :func:`note_referrer`.
REFERRERS_NOTED = "referrers_noted"


@dataclass
class CustomerChanges:
    ids: set[int] = field(default_factory=set)
    telegram_ids: set[int] = field(default_factory=set)
    unknown: bool = False
    #: customers whose referrals (invited, paying) changed; ``referrals_unknown``: some, not told which
    referrers: set[int] = field(default_factory=set)
    referrals_unknown: bool = False

    def __bool__(self) -> bool:
        return bool(self.ids or self.telegram_ids or self.unknown or self.referrers or self.referrals_unknown)


class TrackedSession(Session):
    """A session that records the customers it changes in ``session.info``."""


def changes_of(session: Session) -> CustomerChanges:
    changes = session.info.get(INFO_KEY)
    if changes is None:
        changes = session.info[INFO_KEY] = CustomerChanges()
    return changes


def note_referrer(session: Session, referrer_id: int) -> None:
    """The unit of work changed ``referrer_id``'s referrals (a new invitee, an invitee's first payment)."""
    changes_of(session).referrers.add(referrer_id)


def pop_changes(session: Session) -> CustomerChanges | None:
    changes: CustomerChanges | None = session.info.pop(INFO_KEY, None)
    return changes if changes else None


@event.listens_for(TrackedSession, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Referral) and obj.referrer_id is not None:
            note_referrer(session, obj.referrer_id)
    touched = [obj for obj in session.dirty if isinstance(obj, Customer) and session.is_modified(obj)]
    touched.extend(obj for obj in session.deleted if isinstance(obj, Customer))
    if not touched:
        return
    changes = changes_of(session)
    for customer in touched:
        if customer.id is not None:
            changes.ids.add(customer.id)
        if customer.telegram_id is not None:
            changes.telegram_ids.add(customer.telegram_id)


@event.listens_for(TrackedSession, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    statement: Any = state.statement
    # ORM statements carry annotated copies of the table: compare by name
    table = getattr(getattr(statement, "table", None), "name", None)
    if table == _REFERRALS and not state.execution_options.get(REFERRERS_NOTED):
        changes_of(state.session).referrals_unknown = True
    if table != _TABLE:
        return
    changes = changes_of(state.session)
    if not _rows_named(statement.whereclause, changes):
        changes.unknown = True


def _rows_named(where: ColumnElement[Any] | None, changes: CustomerChanges) -> bool:
    """Add the rows a ``WHERE`` restricts to (by a top-level ``id``/``telegram_id`` = or IN criterion);
    False if it names none that way."""
    if where is None:
        return False
    conjuncts = (
        list(where.clauses)
        if isinstance(where, BooleanClauseList) and where.operator is operators.and_
        else [where]
    )
    for criterion in conjuncts:
        if not isinstance(criterion, BinaryExpression):
            continue
        column = getattr(criterion.left, "name", None)
        table = getattr(getattr(criterion.left, "table", None), "name", None)
        if table != _TABLE or column not in ("id", "telegram_id"):
            continue
        right = criterion.right
        if not isinstance(right, BindParameter) or right.value is None:
            continue
        if criterion.operator is operators.eq:
            values = [right.value]
        elif criterion.operator is operators.in_op and isinstance(right.value, list | tuple | set):
            values = list(right.value)
        else:
            continue
        target = changes.ids if column == "id" else changes.telegram_ids
        target.update(int(v) for v in values)
        return True
    return False
