"""Errors a customer can be told about: each carries the key of its localised text."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the request; ``text_key`` names the text shown to the customer."""

    text_key = "error-generic"

    def __init__(self, text_key: str | None = None, **args: object) -> None:
        if text_key is not None:
            self.text_key = text_key
        self.args_for_text = args
        super().__init__(self.text_key)


class ServiceUnavailable(DomainError):
    """An external system (the panel) did not answer; nothing was changed."""

    text_key = "error-panel-unavailable"


class TrialNotAvailable(DomainError):
    text_key = "trial-already-used"
