"""How a customer's panel user is created: the one rule every grant that creates a user goes through
(the trial, a paid order, a gift, the admin's grant), via :meth:`AccessGrant.extend_to`.

The username is ``<prefix><telegram id>``. When the panel already has that name (400 ``A019``):

* the user is this customer's (same ``telegramId``): it is adopted, not duplicated (the client's
  :meth:`RemnawaveClient.create_user` does this; a lost reply is resolved the same way);
* it belongs to somebody else (made by hand, or by another shop): the user is created under a suffixed
  name, ``<prefix><telegram id>_2``, ``_3`` ... up to ``_{SUFFIXES}``. The shop links its customers to
  panel users by id, so the name only has to be free.

When every name is taken, :class:`PanelUsernameTaken` is raised: a person has to look at the panel.
"""

from __future__ import annotations

import logging

from remnastore.panel.errors import CODE_USERNAME_TAKEN, PanelUsernameTaken
from remnastore.panel.models import CreateUserRequest, PanelUser
from remnastore.panel.protocol import PanelApi

log = logging.getLogger(__name__)
#: how many names a new panel user may try: ``<prefix><telegram id>``, then ``..._2`` up to this
SUFFIXES = 5
#: the panel's longest username
MAX_USERNAME = 36


def suffixed(base: str, number: int) -> str:
    """The ``number``-th name to try for ``base`` (the first is ``base`` itself)."""
    if number == 1:
        return base
    tail = f"_{number}"
    return f"{base[: MAX_USERNAME - len(tail)]}{tail}"


async def create_panel_user(panel: PanelApi, request: CreateUserRequest) -> PanelUser:
    """Create (or adopt) the customer's panel user under the first free name of the rule above."""
    base = request.username
    for number in range(1, SUFFIXES + 1):
        name = suffixed(base, number)
        try:
            return await panel.create_user(request.model_copy(update={"username": name}))
        except PanelUsernameTaken:
            log.warning("panel username %s belongs to another panel user; trying the next", name)
    raise PanelUsernameTaken(
        f"users.create: {base} and its suffixed names are taken", status=400, code=CODE_USERNAME_TAKEN
    )
