"""Errors the domain raises. Every one names the rule, the field and the fix, in Chinese.

The operator reads `str(error)`; tests and the CLI's `--json` read the attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

from offline.protocols import CardstationError as CardstationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which field, which rule, what is wrong, how to fix it."""

    field: str  # English field key, e.g. 'doc_number'
    rule: str  # rule id, e.g. 'R-ID-3'
    message: str  # Chinese: what is wrong
    fix: str  # Chinese: what to do
    label: str = ""  # Chinese field label, e.g. '证件号码'

    def __str__(self) -> str:
        name = self.label or self.field
        return f"【{name}】{self.message}（{self.rule}）{self.fix}"


class DomainError(CardstationError):
    """A business refused: one or more problems, nothing written."""

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("；".join(str(p) for p in self.problems))

    @property
    def rules(self) -> list[str]:
        return sorted({p.rule for p in self.problems})

    @classmethod
    def one(cls, field: str, rule: str, message: str, fix: str, label: str = "") -> DomainError:
        return cls(Problem(field, rule, message, fix, label))


class ValidationError(DomainError):
    """Input that fails a validator (R-ID, R-APP ...)."""


class IllegalTransition(DomainError):
    """A state machine refused a move (card lifecycle, temporary-card stock R-TMP-5)."""


class PermissionDenied(DomainError):
    """The operator's role does not allow this (R-SEC-2)."""


class AuthError(CardstationError):
    """Login refused (wrong password, locked account, expired session)."""

    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(message_zh, code=code)


class StoreError(CardstationError):
    """The store cannot be used as asked (newer schema, busy beyond patience, disk full)."""

    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(message_zh, code=code)
