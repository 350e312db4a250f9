"""A model's answer as text, carrying what some assertions need beside the text.

`ModelOutput` is a `str`, so every text assertion reads it as before; `cost`, `latency`, the function
and tool-call checks and JavaScript assertions read its attributes.
"""

from __future__ import annotations

from typing import Any


class ModelOutput(str):
    latency_ms: float | None
    cost: float | None  # dollars, from the usage the provider reported and litellm's price map
    tool_payload: Any  # the function call ({name, arguments}) or tool calls ([...]) the model returned
    params: dict[str, Any]  # the call's parameters: the `functions` / `tools` it offered

    def __new__(
        cls,
        text: str,
        latency_ms: float | None = None,
        cost: float | None = None,
        tool_payload: Any = None,
        params: dict[str, Any] | None = None,
    ) -> ModelOutput:
        self = super().__new__(cls, text)
        self.latency_ms = latency_ms
        self.cost = cost
        self.tool_payload = tool_payload
        self.params = params or {}
        return self

    def meta(self) -> dict[str, Any]:
        """What the cache keeps beside the text."""
        return {"latency_ms": self.latency_ms, "cost": self.cost, "tool_payload": self.tool_payload}
