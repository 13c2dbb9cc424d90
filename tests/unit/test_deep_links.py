from remnastore.domain.deep_links import PayloadKind, parse_start_payload


def test_referral_promo_and_campaign_payloads_are_told_apart() -> None:
    assert parse_start_payload("ref_ab12CD").kind is PayloadKind.REFERRAL
    assert parse_start_payload("ref_ab12CD").value == "AB12CD"
    promo = parse_start_payload("promo_spring25")
    assert (promo.kind, promo.value) == (PayloadKind.PROMO, "SPRING25")
    campaign = parse_start_payload("vk_autumn")
    assert (campaign.kind, campaign.value) == (PayloadKind.CAMPAIGN, "vk_autumn")


def test_malformed_payloads_are_ignored() -> None:
    for payload in (None, "", "ref_", "promo_", "x", "with space", "a" * 65, "<script>", "ref_ab;DROP"):
        assert parse_start_payload(payload).kind is PayloadKind.NONE, payload


def test_gift_payload_keeps_its_case_sensitive_token() -> None:
    gift = parse_start_payload("gift_Ab-9_xYz12345")
    assert (gift.kind, gift.value) == (PayloadKind.GIFT, "Ab-9_xYz12345")
    for payload in ("gift_", "gift_short", "gift_" + "a" * 40, "gift_bad;token1"):
        assert parse_start_payload(payload).kind is not PayloadKind.GIFT, payload
