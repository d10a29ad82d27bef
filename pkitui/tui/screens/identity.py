"""The device's identity: ``hostname NAME`` and ``ip domain-name DOMAIN``, edited from Home (``i``)
or the palette. Each field is checked as it is typed by the core's own rule
(:func:`pkitui.core.identity.validate_hostname`, :func:`validate_domain_name`); Apply sets both
with ``Pki.set_hostname`` / ``Pki.set_domain_name`` (an empty domain is ``no ip domain-name``)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label

from pkitui.core.errors import PkiError
from pkitui.core.identity import validate_domain_name, validate_hostname


@dataclass(frozen=True)
class Identity:
    """What the dialog was applied with."""

    hostname: str
    domain_name: str | None


class CoreRule(Validator):
    """A field checked by a core validator (its error's message is the failure)."""

    def __init__(self, check: str, *, optional: bool = False) -> None:
        super().__init__()
        self.check = check
        self.optional = optional

    def validate(self, value: str) -> ValidationResult:
        value = value.strip()
        if not value and self.optional:
            return self.success()
        try:
            (validate_hostname if self.check == "hostname" else validate_domain_name)(value)
        except PkiError as exc:
            return self.failure(exc.message)
        return self.success()


class IdentityDialog(ModalScreen[Identity | None]):
    """hostname and ip domain-name."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="identity_cancel", tooltip="Change nothing")]

    def __init__(self, hostname: str | None, domain_name: str | None) -> None:
        super().__init__(classes="dialog")
        self.hostname = hostname or ""
        self.domain_name = domain_name or ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Label("Device identity (hostname, ip domain-name)", classes="dialog-title")
            yield Label("hostname (one DNS label; the certificate subject and the IOS prompt use it)")
            yield Input(self.hostname, placeholder="e.g. gw1", id="hostname", select_on_focus=False,
                        validators=[CoreRule("hostname")], validate_on=["changed", "submitted"])
            yield Label("", id="hostname-error", classes="field-error")
            yield Label("ip domain-name (empty: no ip domain-name)")
            yield Input(self.domain_name, placeholder="e.g. example.com", id="domain", select_on_focus=False,
                        validators=[CoreRule("domain", optional=True)], validate_on=["changed", "submitted"])
            yield Label("", id="domain-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Apply", id="apply", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#hostname", Input).focus()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        result = event.validation_result
        error = self.query_one(f"#{event.input.id}-error", Label)
        error.update("" if result is None or result.is_valid else "✗ " + "; ".join(result.failure_descriptions))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.apply()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self.apply()
        else:
            self.dismiss(None)

    def apply(self) -> None:
        """Dismiss with the values when both are valid; else say which is not."""
        host = self.query_one("#hostname", Input)
        domain = self.query_one("#domain", Input)
        fields = (("hostname", host), ("domain", domain))
        bad = [name for name, field in fields if not (field.validate(field.value) or ValidationResult()).is_valid]
        if bad:
            self.notify("Fix " + " and ".join(bad) + " first (the reason is under the field)", severity="warning")
            return
        self.dismiss(Identity(host.value.strip(), domain.value.strip() or None))
