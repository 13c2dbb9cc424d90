"""When the bot has answered a test user's update: Bot API calls into the user's chat after its delivery,
the queries answered, and quiet for a moment (what ``FakeUser.wait_reply`` and ``wait_alert`` wait for),
and what to report when it has not."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from remnastore.emulators.telegram_state import ApiCall

if TYPE_CHECKING:
    from remnastore.emulators.telegram import TelegramEmulator

ANSWER_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvideo",
        "sendanimation",
        "sendinvoice",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "editmessagemedia",
        "deletemessage",
        "deletemessages",
        "copymessage",
        "forwardmessage",
        "answercallbackquery",
        "answerprecheckoutquery",
        "answerinlinequery",
    }
)
ACTIVITY_METHODS = ANSWER_METHODS | {"sendchataction"}
#: the calls that put a new or edited message in front of the user
MESSAGE_METHODS = frozenset(
    method for method in ANSWER_METHODS if method.startswith(("send", "edit", "copy", "forward"))
)


class ReplyWatch:
    """The bot's activity in one user's chat, as seen by the emulator."""

    def __init__(self, emulator: TelegramEmulator, chat_id: int) -> None:
        self.emulator = emulator
        self.chat_id = chat_id

    async def answered(self, update_id: int, seconds: float, settle: float | None) -> float:
        """Wait until the bot answered ``update_id`` and went quiet; when it was delivered."""
        quiet = self.emulator.reply_settle if settle is None else settle
        hub = self.emulator.hub
        deadline = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            delivered = hub.delivered_at.get(update_id)
            if delivered is not None and self._settled(update_id, delivered, now, quiet):
                return delivered
            if now >= deadline:
                raise AssertionError(self._timeout_report(update_id, delivered, seconds))
            await hub.wait_changed(
                min(deadline - now, quiet if delivered is not None else deadline - now, 0.05)
            )

    def is_press(self, update_id: int) -> bool:
        return "callback_query" in self.emulator.hub.history.get(update_id, {})

    def message_calls(self, since: float) -> list[ApiCall]:
        return [
            call
            for call in self.emulator.calls
            if call.at >= since
            and call.ok
            and call.chat_id == self.chat_id
            and call.method.lower() in MESSAGE_METHODS
        ]

    def calls_since(self, since: float) -> list[str]:
        return [
            f"{call.method}({'ok' if call.ok else call.error})"
            for call in self.emulator.calls
            if call.at >= since and call.method != "getUpdates"
        ]

    def _settled(self, update_id: int, delivered: float, now: float, quiet: float) -> bool:
        hub = self.emulator.hub
        if hub.webhook is not None and update_id not in hub.completed_at:
            return False
        if self.emulator.inflight.get(self.chat_id, 0):
            return False
        activity = [call for call in self.emulator.calls if call.at >= delivered and self._is_activity(call)]
        if not any(call.method.lower() in ANSWER_METHODS for call in activity):
            return False
        if self._query_unanswered(update_id) or self._only_answered(activity):
            # Bots answer every query; until this one is answered the handler is most likely still busy.
            # Bots also answer a query first (the spinner stops) and then show the screen: a plain
            # answer alone is most likely followed by the edit (a pop-up alert is an answer on its own).
            quiet = max(quiet, self.emulator.unanswered_query_grace)
        return now - max(call.finished for call in activity) >= quiet

    @staticmethod
    def _only_answered(activity: list[ApiCall]) -> bool:
        return all(
            call.method.lower() == "answercallbackquery" and not call.params.get("show_alert")
            for call in activity
        )

    def _query_unanswered(self, update_id: int) -> bool:
        return any(
            query.payload.get("update_id") == update_id and not query.answered
            for query in self.emulator.state.queries.values()
        )

    def _is_activity(self, call: ApiCall) -> bool:
        return call.chat_id == self.chat_id and call.method.lower() in ACTIVITY_METHODS

    def _timeout_report(self, update_id: int, delivered: float | None, timeout: float) -> str:
        if delivered is None:
            return f"update {update_id} was not delivered to the bot within {timeout}s (is it polling?)"
        failed = [item.error for item in self.emulator.hub.failures if item.update_id == update_id]
        if failed:
            return f"update {update_id} could not be delivered to the webhook: {failed[0]}"
        calls = self.calls_since(delivered)
        return f"the bot did not answer update {update_id} within {timeout}s; calls since delivery: {calls}"
