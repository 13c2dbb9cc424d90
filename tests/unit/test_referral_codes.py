"""Referral codes: eight symbols a customer can read out (no I, O, 0, 1), each equally likely."""

from __future__ import annotations

from collections import Counter

from remnastore.db.models import REFERRAL_CODE_ALPHABET, REFERRAL_CODE_LENGTH, new_referral_code


def test_codes_use_every_symbol_of_the_alphabet_about_equally() -> None:
    assert len(REFERRAL_CODE_ALPHABET) == 32 and not set("IO01") & set(REFERRAL_CODE_ALPHABET)
    codes = [new_referral_code() for _ in range(8_000)]
    assert all(len(code) == REFERRAL_CODE_LENGTH for code in codes)
    counts = Counter("".join(codes))
    assert set(counts) == set(REFERRAL_CODE_ALPHABET)
    expected = 8_000 * REFERRAL_CODE_LENGTH / 32  # 2,000 each; a biased symbol would be far off
    assert all(abs(count - expected) < 0.15 * expected for count in counts.values()), counts
    assert len(set(codes)) == len(codes)
