"""A customer's referral numbers, as the "invite friends" screen shows them and the cache keeps them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from remnastore.domain.money import Money


@dataclass(frozen=True)
class ReferralStats:
    invited: int
    paying: int
    earned: list[Money]

    def dumps(self) -> str:
        earned = [[money.minor, money.currency] for money in self.earned]
        return json.dumps([self.invited, self.paying, earned], separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str) -> ReferralStats | None:
        try:
            invited, paying, earned = json.loads(raw)
            return cls(int(invited), int(paying), [Money(int(m), str(c)) for m, c in earned])
        except (ValueError, TypeError):
            return None


#: The numbers of a customer registered a moment ago: nobody invited, nothing earned.
NO_REFERRALS = ReferralStats(invited=0, paying=0, earned=[])
