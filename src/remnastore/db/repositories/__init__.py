"""Repositories: one per aggregate, each wrapping an ``AsyncSession``; none of them commits."""

from remnastore.db.repositories.audit import AuditRepository
from remnastore.db.repositories.campaigns import CampaignRepository
from remnastore.db.repositories.customers import CustomerRepository, InsufficientBalance
from remnastore.db.repositories.orders import (
    ALLOWED_TRANSITIONS,
    ConcurrentStatusChange,
    InvalidTransition,
    OrderRepository,
)
from remnastore.db.repositories.promos import PromoRepository, normalize_promo_code
from remnastore.db.repositories.referrals import ReferralRepository
from remnastore.db.repositories.subscriptions import SubscriptionRepository

__all__ = [
    "ALLOWED_TRANSITIONS",
    "AuditRepository",
    "CampaignRepository",
    "ConcurrentStatusChange",
    "CustomerRepository",
    "InsufficientBalance",
    "InvalidTransition",
    "OrderRepository",
    "PromoRepository",
    "ReferralRepository",
    "SubscriptionRepository",
    "normalize_promo_code",
]
