"""Trustpoint editor: the list, a form with every option validated as it is typed, and the
actions Authenticate, Enroll, Request CRL, Root TFTP and Delete (all in thread workers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, Input, Label, ListItem, ListView, Static

from pkitui.core.trustpoint_options import OPTIONS_BY_KEY
from pkitui.core.trustpoints import Trustpoint
from pkitui.tui.messages import TrustpointDeclared
from pkitui.tui.screens.base import PkiPane
from pkitui.tui.screens.dialogs import ConfirmDialog
from pkitui.tui.screens.enrollment import EnrollmentFinished, EnrollmentScreen, run_enrollment
from pkitui.tui.screens.fingerprint import FingerprintDialog
from pkitui.tui.screens.trustpoint_fields import FIELDS, FLAGS, SetterValidator
from pkitui.tui.tones import Tone

if TYPE_CHECKING:
    from pkitui.core.scep.ca import CaCandidate


class TrustpointsPane(PkiPane):
    """The trustpoint editor."""

    BINDINGS = [
        Binding("n", "new", "New", id="tp_new", tooltip="Declare a new trustpoint (crypto pki trustpoint NAME)"),
        Binding("ctrl+enter,f2", "apply", "Apply", id="tp_apply", key_display="F2",
                tooltip="Apply the form to the running configuration"),
        Binding("a", "authenticate", "Authenticate", id="tp_authenticate",
                tooltip="Fetch the CA certificate and confirm its fingerprint"),
        Binding("e", "enroll", "Enroll", id="tp_enroll", tooltip="Request certificates for the trustpoint's key pairs"),
        Binding("r", "request_crl", "Request CRL", id="tp_request_crl", tooltip="Download the newest CRL now"),
        Binding("t", "root_tftp", "Root TFTP", id="tp_root_tftp",
                tooltip="Fetch the CA certificate over TFTP (root tftp)"),
        Binding("d", "delete", "Delete", id="tp_delete", tooltip="Remove the trustpoint and everything under it"),
        Binding("u", "resume_pending", "Resume pending", id="tp_resume_pending",
                tooltip="Poll the CA again for requests it answered PENDING (saved across restarts)"),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="tp-side", classes="side"):
                yield Label("Trustpoints", classes="section-title")
                yield ListView(id="tp-list")
                yield Input(placeholder="new: name ⏎", id="tp-new")
            with VerticalScroll(id="tp-form"):
                yield Static("Select or declare a trustpoint.", id="tp-title", classes="section-title")
                for field in FIELDS:
                    with Horizontal(classes="field"):
                        yield Label(field.label, classes="field-label")
                        with Vertical(classes="field-input"):
                            yield Input(placeholder=field.placeholder, id=f"f-{field.key}", password=field.secret,
                                        tooltip=field.help, validators=[SetterValidator(field)],
                                        validate_on=["changed", "submitted"])
                            yield Label("", id=f"err-{field.key}", classes="field-error")
                with Horizontal(classes="field"):
                    for flag in FLAGS:
                        yield Checkbox(flag.label, id=f"f-{flag.key}", tooltip=flag.help)
                with Horizontal(classes="buttons"):
                    yield Button("Apply", id="apply", variant="primary")
                    yield Button("Authenticate", id="authenticate")
                    yield Button("Enroll", id="enroll")
                    yield Button("Request CRL", id="request_crl")
                    yield Button("Delete", id="delete", variant="error")

    # -- reading ---------------------------------------------------------------------------------
    @property
    def selected(self) -> str | None:
        """The highlighted trustpoint's name."""
        view = self.query_one("#tp-list", ListView)
        item = view.highlighted_child
        return item.name if item is not None else None

    def reload(self) -> None:
        view = self.query_one("#tp-list", ListView)
        keep = self.selected
        names = [tp.name for tp in self.pki.trustpoints.list()]
        current = [item.name for item in view.children if isinstance(item, ListItem)]
        if names != current:
            view.clear()
            view.extend(ListItem(Label(n), name=n) for n in names)
            if names:
                view.index = names.index(keep) if keep in names else 0
        self.load_form(self.selected)

    def load_form(self, name: str | None) -> None:
        """Fill the form from the running configuration (no validation marks)."""
        tp = self.pki.config.trustpoints.get(name) if name else None
        self.query_one("#tp-title", Static).update(self._title(tp) if tp else "Select or declare a trustpoint.")
        for field in FIELDS:
            widget = self.query_one(f"#f-{field.key}", Input)
            with widget.prevent(Input.Changed):
                widget.value = field.text(tp) if tp else ""
            widget.disabled = tp is None
            widget.remove_class("-invalid")
            self.query_one(f"#err-{field.key}", Label).display = False
        for flag in FLAGS:
            box = self.query_one(f"#f-{flag.key}", Checkbox)
            with box.prevent(Checkbox.Changed):
                box.value = tp is not None and not flag.is_default(tp)
            box.disabled = tp is None

    def _title(self, tp: Trustpoint) -> Text:
        """The trustpoint's name and state (core's TrustpointStatus, as show crypto pki trustpoints
        has it): CA authenticated, device certificates, pending requests."""
        status = self.pki.trustpoints.status(tp.name)
        title = self.toned(f"trustpoint {tp.name}   ", Tone.STRONG)
        if status.ca_sha256 is None:
            title.append("CA not authenticated (a)", style=self.tone(Tone.WARNING))
        else:
            title.append(f"CA authenticated, SHA-256 {status.ca_sha256[:16]}…", style=self.tone(Tone.OK))
        devices = status.device_certificates
        title.append(f"   device certificates: {devices}", style=self.tone(Tone.OK if devices else Tone.MUTED))
        if status.pending:
            title.append(f"   PENDING: {status.pending} (u resumes)", style=self.tone(Tone.WARNING_STRONG))
        return title

    @on(ListView.Highlighted, "#tp-list")
    def _highlighted(self, event: ListView.Highlighted) -> None:
        self.load_form(event.item.name if event.item else None)

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        input_id = event.input.id or ""
        if not input_id.startswith("f-"):
            return
        key = input_id[2:]
        result = event.validation_result
        reason = "" if result is None or result.is_valid else "✗ " + "; ".join(result.failure_descriptions)
        label = self.query_one(f"#err-{key}", Label)
        label.update(reason)
        label.display = bool(reason)

    def form_values(self) -> dict[str, str]:
        """The form's text fields by key."""
        return {f.key: self.query_one(f"#f-{f.key}", Input).value for f in FIELDS}

    # -- actions ---------------------------------------------------------------------------------
    @on(Button.Pressed)
    async def _button(self, event: Button.Pressed) -> None:
        await self.run_action(event.button.id or "")

    def action_new(self) -> None:
        """Focus the new-trustpoint field."""
        self.query_one("#tp-new", Input).focus()

    @on(Input.Submitted, "#tp-new")
    def _new_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._declare(event.value.strip())
            event.input.value = ""

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        if (event.input.id or "").startswith("f-"):
            self.action_apply()

    def action_apply(self) -> None:
        """Apply the whole form (only when every field is valid)."""
        name = self.selected
        if name is None:
            return
        values = self.form_values()
        bad = [OPTIONS_BY_KEY[k].label for k, v in values.items()
               if not SetterValidator(OPTIONS_BY_KEY[k]).validate(v).is_valid]
        if bad:
            self.notify("Fix the marked fields first: " + ", ".join(bad), severity="warning")
            return
        flags = {flag.key: self.query_one(f"#f-{flag.key}", Checkbox).value for flag in FLAGS}
        self._apply(name, values, flags)

    def _require(self) -> str | None:
        name = self.selected
        if name is None:
            self.notify("Select a trustpoint first (or press n to declare one)", severity="warning")
        return name

    def action_authenticate(self) -> None:
        """crypto pki authenticate NAME."""
        if name := self._require():
            self._authenticate(name)

    def action_root_tftp(self) -> None:
        """Fetch the root over TFTP, then the same fingerprint confirmation."""
        if name := self._require():
            self._root_tftp(name)

    def action_request_crl(self) -> None:
        """crypto pki crl request NAME."""
        if name := self._require():
            self._request_crl(name)

    def action_enroll(self) -> None:
        """crypto pki enroll NAME: the console's one enrollment (as the ``:`` line runs it)."""
        if name := self._require():
            self._enroll(name)

    def action_resume_pending(self) -> None:
        """Resume polling every saved PENDING enrollment, with the progress screen."""
        if not self.pki.config.pending:
            self.notify("No pending enrollment", severity="information")
            return
        screen = EnrollmentScreen("pending enrollments", title="Resuming pending enrollments")
        self.app.push_screen(screen)
        self._resume_pending(screen)

    def action_delete(self) -> None:
        """no crypto pki trustpoint NAME, after a confirmation listing what goes."""
        if name := self._require():
            gone = self.pki.trustpoints.removal_preview(name)
            what = [f"trustpoint {name} and its settings"]
            what += [f"{c.role} certificate {c.sha256[:16]}…" for c in gone.certificates]
            what += [f"CRL from {c.issuer}" for c in gone.crls]
            what += [f"pending enrollment {p.transaction_id[:12]}…" for p in gone.pending]

            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._delete(name)

            self.app.push_screen(ConfirmDialog(f"Delete trustpoint {name}? This removes:", what, yes="Delete"),
                                 confirmed)

    # -- workers ---------------------------------------------------------------------------------
    def _confirm_candidate(self, candidate: CaCandidate) -> bool:
        accepted: bool | None = self.ask(FingerprintDialog(candidate))
        return bool(accepted)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _declare(self, name: str) -> None:
        self.core(self.pki.trustpoints.declare, name)
        self.say(f"crypto pki trustpoint {name}")
        self.changed("trustpoint")
        self.post_message(TrustpointDeclared(name))

    @on(TrustpointDeclared)
    def _declared(self, message: TrustpointDeclared) -> None:
        self._select(message.name)

    def _select(self, name: str) -> None:
        self.reload()
        view = self.query_one("#tp-list", ListView)
        names = [item.name for item in view.children]
        if name in names:
            view.index = names.index(name)
        self.query_one("#f-enrollment_url", Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _apply(self, name: str, values: dict[str, str], flags: dict[str, bool]) -> None:
        with self.core_lock:
            tp: Trustpoint = self.pki.trustpoints.get(name)
            for key, value in values.items():
                field = OPTIONS_BY_KEY[key]
                if field.text(tp) != value.strip():
                    field.set_text(tp, value)
            for key, on in flags.items():
                if on:
                    OPTIONS_BY_KEY[key].parse(tp, "")
                else:
                    OPTIONS_BY_KEY[key].reset(tp)
        self.say(f"trustpoint {name} updated")
        self.changed("trustpoint")

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _authenticate(self, name: str) -> None:
        self.say(f"crypto pki authenticate {name}")
        candidate = self.core(self.pki.ca_trust.authenticate, name, confirm=self._confirm_candidate)
        if not candidate.accepted:
            self.say("% Certificate rejected: nothing stored", Tone.WARNING)
            return
        self.say(f"% Certificate successfully imported: {candidate.subject}", Tone.OK)
        self.changed("authenticate")

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _root_tftp(self, name: str) -> None:
        candidate = self.core(self.pki.ca_trust.root_tftp, name, confirm=self._confirm_candidate)
        if not candidate.accepted:
            self.say("% Certificate rejected: nothing stored", Tone.WARNING)
            return
        self.say(f"Root CA certificate from TFTP accepted: {candidate.subject}", Tone.OK)
        self.changed("root tftp")

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _request_crl(self, name: str) -> None:
        info = self.core(self.pki.revocation.request_crl, name)
        self.say(f"CRL for {name}: {info.issuer}, {info.entries} entries", Tone.OK)
        self.changed("crl")

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _delete(self, name: str) -> None:
        removed = self.core(self.pki.trustpoints.remove, name)
        self.say("removed: " + ", ".join(removed))
        self.changed("trustpoint")

    @work(thread=True, exclusive=True, exit_on_error=False, group="enroll")
    def _resume_pending(self, screen: EnrollmentScreen) -> None:
        try:
            results = self.pki.scep.resume_pending(
                on_event=screen.report, cancel=screen.cancel_event)
        except Exception as exc:
            screen.post_message(EnrollmentFinished([], exc))
            raise
        screen.post_message(EnrollmentFinished(results, None))
        self.changed("enroll")

    @work(thread=True, exclusive=True, exit_on_error=False, group="enroll")
    def _enroll(self, name: str) -> None:
        # Not under the core lock: the core takes it to send and store, not while polling.
        run_enrollment(self.console, name)
