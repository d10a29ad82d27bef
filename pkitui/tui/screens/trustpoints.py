"""Trustpoint editor: the list, a form with every option validated as it is typed, the
trustpoint's PKI timers (what fires next: renew, CRL refresh, poll, rollover, expiry alert), and
the actions Authenticate, Enroll, Request CRL, Root TFTP and Delete (all in thread workers)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, ListItem, ListView, Static

from pkitui.core.trustpoint_options import OPTIONS_BY_KEY
from pkitui.core.trustpoints import Trustpoint
from pkitui.tui import console_log
from pkitui.tui.messages import TrustpointDeclared
from pkitui.tui.screens.base import PkiPane
from pkitui.tui.screens.dialogs import ConfirmDialog
from pkitui.tui.screens.enrollment import EnrollmentFinished, EnrollmentScreen, run_enrollment
from pkitui.tui.screens.transfer import ask_ca_decision
from pkitui.tui.screens.trustpoint_fields import FIELDS, FLAGS, SetterValidator
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.timers import PkiTimers

if TYPE_CHECKING:
    from pkitui.core.scep.ca import CaCandidate


@dataclass
class FormApplied(Message):
    """The form of trustpoint ``name`` was applied (its unapplied edits are now the configuration)."""

    name: str


class TrustpointsPane(PkiPane):
    """The trustpoint editor."""

    # Short labels: at 80 columns the footer holds every one of them (ten) with ? Help and ^o Jump
    # (the tooltips, Help and the palette say the rest).
    BINDINGS = [
        Binding("n", "new", "New", id="tp_new", tooltip="Declare a new trustpoint (crypto pki trustpoint NAME)"),
        Binding("ctrl+enter,f2", "apply", "Apply", id="tp_apply", key_display="F2",
                tooltip="Apply the form to the running configuration"),
        Binding("a", "authenticate", "Auth", id="tp_authenticate",
                tooltip="crypto pki authenticate NAME: fetch the CA certificate and confirm its fingerprint"),
        Binding("e", "enroll", "Enroll", id="tp_enroll", tooltip="Request certificates for the trustpoint's key pairs"),
        Binding("r", "request_crl", "CRL", id="tp_request_crl", tooltip="Download the newest CRL now"),
        Binding("t", "root_tftp", "TFTP", id="tp_root_tftp",
                tooltip="Fetch the CA certificate over TFTP (root tftp)"),
        Binding("d", "delete", "Del", id="tp_delete", tooltip="Remove the trustpoint and everything under it"),
        Binding("u", "resume_pending", "Poll", id="tp_resume_pending",
                tooltip="Resume polling the CA for requests it answered PENDING (saved across restarts)"),
        Binding("p", "deploy", "Deploy", id="tp_deploy",
                tooltip="crypto pki deploy NAME: write the key, certificates and CRL where the deploy options say, "
                        "then run the deploy command if anything changed"),
    ]

    def compose(self) -> ComposeResult:
        # The fields start as the first load leaves them (disabled with no trustpoint to show):
        # each one toggled on mount restyled the form once more, the larger part of the start-up.
        blank = not (self.console.pki_ready and self.pki.config.trustpoints)
        with Horizontal():
            with Vertical(id="tp-side", classes="side"):
                yield Label("Trustpoints", classes="section-title")
                yield ListView(id="tp-list")
                yield Input(placeholder="new: name ⏎", id="tp-new", select_on_focus=False)
            # Not a Tab stop of its own: focused, the container let typing fire the pane's keys.
            with VerticalScroll(id="tp-form", can_focus=False):
                yield Static("Select or declare a trustpoint.", id="tp-title", classes="section-title")
                yield PkiTimers(one_trustpoint=True, id="tp-timers")  # lists them itself, once a minute too
                for field in FIELDS:
                    with Horizontal(classes="field"):
                        # Labels and help come from the core's table, with IOS syntax in brackets
                        # ("rsakeypair (label [size [enc-size]])"): plain text, never markup (which
                        # ate them, and whose escape does not cover nested brackets).
                        yield Label(field.label, classes="field-label", markup=False)
                        with Vertical(classes="field-input"):
                            yield Input(placeholder=field.placeholder, id=f"f-{field.key}", password=field.secret,
                                        tooltip=Content(field.help), validators=[SetterValidator(field)],
                                        validate_on=["changed", "submitted"], disabled=blank,
                                        select_on_focus=False)
                            yield Label("", id=f"err-{field.key}", classes="field-error")
                with Horizontal(classes="field"):
                    for flag in FLAGS:
                        yield Checkbox(Content(flag.label), id=f"f-{flag.key}", tooltip=Content(flag.help),
                                       disabled=blank)
                with Horizontal(classes="buttons"):
                    yield Button("Apply", id="apply", variant="primary")
                    yield Button("Authenticate", id="authenticate")
                    yield Button("Enroll", id="enroll")
                    yield Button("Request CRL", id="request_crl")
                    yield Button("Delete", id="delete", variant="error")

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._form_tp: str | None = None  # the trustpoint the form shows (and Apply applies to)
        self._loaded: dict[str, str | bool] = {}  # option key -> its value in the running configuration
        # Unapplied edits, per trustpoint (option key -> value typed): kept when the form reloads
        # (another action changed the configuration) and when another trustpoint is shown.
        self._drafts: dict[str, dict[str, str | bool]] = {}

    # -- reading ---------------------------------------------------------------------------------
    @property
    def selected(self) -> str | None:
        """The trustpoint the form shows (the highlighted one, or the one just declared while the
        list is still being rebuilt)."""
        view = self.query_one("#tp-list", ListView)
        item = view.highlighted_child
        if item is not None and item.name in self.pki.config.trustpoints:
            return item.name
        return self._form_tp if self._form_tp in self.pki.config.trustpoints else None

    def reload(self) -> None:
        view = self.query_one("#tp-list", ListView)
        keep = self.selected
        names = [tp.name for tp in self.pki.trustpoints.list()]
        current = [item.name for item in view.children if isinstance(item, ListItem)]
        if names != current:
            self.call_later(self._rebuild_list, names)
        self.load_form(keep if keep in names else (names[0] if names else None))
        self.query_one("#tp-timers", PkiTimers).reload()

    async def _rebuild_list(self, names: list[str]) -> None:
        """Replace the list's items, then highlight the form's trustpoint: set before the new
        items were mounted, the highlight was lost (and Apply found no trustpoint)."""
        view = self.query_one("#tp-list", ListView)
        await view.clear()
        await view.extend(ListItem(Label(n), name=n) for n in names)
        if self._form_tp is not None:
            self._highlight(self._form_tp)

    def _highlight(self, name: str) -> None:
        view = self.query_one("#tp-list", ListView)
        names = [item.name for item in view.children if isinstance(item, ListItem)]
        if name in names and view.index != names.index(name):
            with view.prevent(ListView.Highlighted):
                view.index = names.index(name)

    def load_form(self, name: str | None) -> None:
        """Fill the form from the running configuration (no validation marks); the unapplied
        edits of that trustpoint stay in their fields, marked."""
        tp = self.pki.config.trustpoints.get(name) if name else None
        self._form_tp = tp.name if tp else None
        draft = self._drafts.get(tp.name, {}) if tp else {}
        self._loaded = {}
        for field in FIELDS:
            widget = self.query_one(f"#f-{field.key}", Input)
            loaded = field.text(tp) if tp else ""
            self._loaded[field.key] = loaded
            value = draft.get(field.key, loaded)
            with widget.prevent(Input.Changed):
                widget.value = str(value)
            widget.disabled = tp is None
            widget.set_class(field.key in draft, "-edited")
            if field.key in draft:
                widget.validate(widget.value)
            else:
                widget.remove_class("-invalid")
            self.query_one(f"#err-{field.key}", Label).display = False
        for flag in FLAGS:
            box = self.query_one(f"#f-{flag.key}", Checkbox)
            loaded_on = tp is not None and not flag.is_default(tp)
            self._loaded[flag.key] = loaded_on
            with box.prevent(Checkbox.Changed):
                box.value = bool(draft.get(flag.key, loaded_on))
            box.disabled = tp is None
            box.set_class(flag.key in draft, "-edited")
        self._show_title()
        self.query_one("#tp-timers", PkiTimers).show_trustpoint(self._form_tp)

    def _show_title(self) -> None:
        tp = self.pki.config.trustpoints.get(self._form_tp) if self._form_tp else None
        title = self._title(tp) if tp else Text("Select or declare a trustpoint.")
        draft = self._drafts.get(tp.name, {}) if tp else {}
        if draft:
            labels = ", ".join(OPTIONS_BY_KEY[k].label for k in draft)
            title.append(f"\n● unapplied edits (F2 applies): {labels}", style=self.tone(Tone.WARNING_STRONG))
        self.query_one("#tp-title", Static).update(title)

    def _edited(self, key: str, value: str | bool) -> None:
        """Remember (or forget) an unapplied edit of the form's trustpoint, and mark it."""
        if self._form_tp is None:
            return
        draft = self._drafts.setdefault(self._form_tp, {})
        if value != self._loaded.get(key):
            draft[key] = value
        else:
            draft.pop(key, None)
        if not draft:
            self._drafts.pop(self._form_tp, None)
        self.query_one(f"#f-{key}").set_class(key in draft, "-edited")
        self._show_title()

    def _title(self, tp: Trustpoint) -> Text:
        """The trustpoint's name and state (core's TrustpointStatus, as show crypto pki trustpoints
        has it): CA authenticated, device certificates, pending requests."""
        status = self.pki.trustpoints.status(tp.name)
        title = self.toned(f"trustpoint {tp.name}  ", Tone.STRONG)
        if status.ca_sha256 is None:
            title.append("CA not authenticated (a)", style=self.tone(Tone.WARNING))
        else:
            # The first 8-digit group of the fingerprint: the line fits the form at 120 columns.
            title.append(f"CA authenticated, SHA-256 {status.ca_sha256[:8]}…", style=self.tone(Tone.OK))
        devices = status.device_certificates
        title.append(f"  device certificates: {devices}", style=self.tone(Tone.OK if devices else Tone.MUTED))
        if status.pending:
            title.append(f"  PENDING: {status.pending} (u resumes)", style=self.tone(Tone.WARNING_STRONG))
        return title

    @on(ListView.Highlighted, "#tp-list")
    def _highlighted(self, event: ListView.Highlighted) -> None:
        if event.item is not None and event.item.name != self._form_tp:
            self.load_form(event.item.name)

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        input_id = event.input.id or ""
        if not input_id.startswith("f-"):
            return
        key = input_id[2:]
        self._edited(key, event.value)
        result = event.validation_result
        reason = "" if result is None or result.is_valid else "✗ " + "; ".join(result.failure_descriptions)
        label = self.query_one(f"#err-{key}", Label)
        label.update(Content(reason))
        label.display = bool(reason)

    @on(Checkbox.Changed)
    def _flag_changed(self, event: Checkbox.Changed) -> None:
        box_id = event.checkbox.id or ""
        if box_id.startswith("f-"):
            self._edited(box_id[2:], event.value)

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
        """Apply the whole form (only when every field is valid); always says what it did or why not."""
        name = self._require()
        if name is None:
            return
        values = self.form_values()
        bad = [OPTIONS_BY_KEY[k].label for k, v in values.items()
               if not SetterValidator(OPTIONS_BY_KEY[k]).validate(v).is_valid]
        if bad:
            self.notify("Fix the marked fields first: " + ", ".join(bad), severity="warning", markup=False)
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

    def action_deploy(self) -> None:
        """crypto pki deploy NAME, in a worker (files, then the daemon's command); the result in
        the log as the agent words it. The running configuration is deployed: unapplied edits of
        the form are not (they are said)."""
        if name := self._require():
            if self._drafts.get(name):
                self.notify(f"Trustpoint {name} has unapplied edits: the running configuration is deployed "
                            "(F2 applies them first)", severity="warning", markup=False)
            self._deploy(name)

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
    def _confirm_candidate(self, name: str, candidate: CaCandidate) -> bool:
        """The fingerprint dialog, told which CA trustpoint ``name`` already trusts (if any)."""
        return ask_ca_decision(self, name, candidate)

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
        """Show the trustpoint just declared (highlighted once the list has it) and edit its URL."""
        self._form_tp = name
        self.reload()
        self.call_later(self._highlight, name)  # after the list is rebuilt (call_later keeps the order)
        self.query_one("#f-enrollment_url", Input).focus()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _apply(self, name: str, values: dict[str, str], flags: dict[str, bool]) -> None:
        changed: list[str] = []
        with self.core_lock:
            tp: Trustpoint = self.pki.trustpoints.get(name)
            for key, value in values.items():
                field = OPTIONS_BY_KEY[key]
                if field.text(tp) != value.strip():
                    field.set_text(tp, value)
                    changed.append(field.label)
            for key, on in flags.items():
                option = OPTIONS_BY_KEY[key]
                if on == option.is_default(tp):  # checked means "not the default"
                    if on:
                        option.parse(tp, "")
                    else:
                        option.reset(tp)
                    changed.append(option.label)
        self.post_message(FormApplied(name))
        if not changed:
            self.say(f"trustpoint {name}: nothing to apply (the form matches the running configuration)")
            self.notify(f"Trustpoint {name}: nothing to apply", severity="information")
            return
        self.say(f"trustpoint {name} updated: {', '.join(changed)}", Tone.OK)
        self.notify(f"Trustpoint {name} updated: {', '.join(changed)}", severity="information", markup=False)
        self.changed("trustpoint")

    @on(FormApplied)
    def _form_applied(self, message: FormApplied) -> None:
        message.stop()
        self._drafts.pop(message.name, None)
        if message.name == self._form_tp:
            self.load_form(message.name)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _authenticate(self, name: str) -> None:
        self.say(f"crypto pki authenticate {name}")
        candidate = self.core(self.pki.ca_trust.authenticate, name,
                              confirm=functools.partial(self._confirm_candidate, name))
        if not candidate.accepted:
            self.console.post_message(console_log.ca_rejected(name))
            return
        self.console.post_message(console_log.ca_authenticated(name, candidate.subject))
        self.changed("authenticate")

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _root_tftp(self, name: str) -> None:
        candidate = self.core(self.pki.ca_trust.root_tftp, name,
                              confirm=functools.partial(self._confirm_candidate, name))
        if not candidate.accepted:
            self.say("% Certificate rejected: nothing stored", Tone.WARNING)
            return
        self.say(f"Root CA certificate from TFTP accepted: {candidate.subject}", Tone.OK)
        self.changed("root tftp")

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _request_crl(self, name: str) -> None:
        info = self.core(self.pki.revocation.request_crl, name)
        self.console.post_message(console_log.crl_fetched(name, info.issuer, info.entries))
        self.changed("crl")

    @work(thread=True, exclusive=True, exit_on_error=False, group="deploy")
    def _deploy(self, name: str) -> None:
        report = self.core(self.pki.deployment.deploy, name)
        events = console_log.deployed(report)
        for event in events:
            self.console.post_message(event)
        if not events:
            self.say(f"% Deployed {name}: nothing changed")
        for note in report.notes:  # what was skipped and why (no CRL held, not enrolled)
            self.say(f"% {note}", Tone.NOTE)
        if report.ok:
            self.notify(f"Trustpoint {name} deployed" + ("" if events else ": nothing changed"), markup=False)
        else:  # the reason is the log's %PKI-3 line; the toast points there
            self.notify(f"Deployment of trustpoint {name} failed or was refused: see the log", severity="error",
                        markup=False)
        self.changed("deploy")

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
