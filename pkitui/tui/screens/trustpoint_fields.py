"""The trustpoint form's fields: the core's option table (:mod:`pkitui.core.trustpoint_options`),
text options as validated inputs and flags as checkboxes. A field is validated as it is typed by
its core setter on a scratch copy, and applied by the same setter on the real trustpoint."""

from __future__ import annotations

from textual.validation import ValidationResult, Validator

from pkitui.core.errors import PkiError
from pkitui.core.trustpoint_options import OPTIONS, TrustpointOption
from pkitui.core.trustpoints import Trustpoint

FIELDS: tuple[TrustpointOption, ...] = tuple(o for o in OPTIONS if not o.flag)
FLAGS: tuple[TrustpointOption, ...] = tuple(o for o in OPTIONS if o.flag)


class SetterValidator(Validator):
    """Validates as the administrator types by calling the core setter on a scratch trustpoint."""

    def __init__(self, field: TrustpointOption) -> None:
        super().__init__()
        self.field = field

    def validate(self, value: str) -> ValidationResult:
        try:
            self.field.set_text(Trustpoint(name="scratch"), value)
        except PkiError as exc:
            return self.failure(exc.message + (f" — {exc.hint}" if exc.hint else ""))
        return self.success()
