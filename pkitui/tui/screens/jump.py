"""Jump mode (ctrl+o, as posting's): every place of the current pane that takes the focus, each
under one key, plus the log; one key press puts the focus there. Instead of a long Tab chain
through a form, two keys reach any field."""

from __future__ import annotations

import string
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Static

JUMP_KEYS = string.ascii_lowercase + string.digits + string.ascii_uppercase
"""The keys of the targets, in the order the targets appear on screen."""


@dataclass(frozen=True)
class JumpTarget:
    """A place the focus can jump to: its key, what it is, the widget."""

    key: str
    title: str
    widget: Widget


def describe(widget: Widget) -> str:
    """What a focusable widget is, as the administrator reads it on screen: a form field's label,
    a button's or checkbox's label, an input's placeholder, else its id made readable."""
    parent = widget.parent
    field = parent.parent if parent is not None else None
    if isinstance(widget, Input) and field is not None:
        label = next((w for w in field.children if isinstance(w, Label) and w.has_class("field-label")), None)
        if label is not None:
            return str(label.render()).strip()
    if isinstance(widget, (Button, Checkbox)):
        return str(widget.label).strip()
    if isinstance(widget, Input) and widget.placeholder:
        return widget.placeholder
    if parent is not None:  # a list under its section title ("Trustpoints")
        title = next((w for w in parent.children if isinstance(w, Label) and w.has_class("section-title")), None)
        if title is not None:
            return str(title.render()).strip()
    name = (widget.id or type(widget).__name__).replace("-", " ").replace("_", " ")
    return name


def jump_targets(root: Widget, extra: list[Widget] | None = None) -> list[JumpTarget]:
    """The focusable, shown widgets under ``root`` (then ``extra``), each with a key."""
    widgets = [w for w in root.query("*") if w.focusable and w.display and w.visible]
    widgets += [w for w in extra or [] if w.focusable and w.display]
    return [JumpTarget(key, describe(w), w) for key, w in zip(JUMP_KEYS, widgets, strict=False)]


class JumpScreen(ModalScreen[Widget | None]):
    """The targets of the current pane; a target's key focuses it, Escape leaves the focus."""

    DEFAULT_CSS = "#jump-scroll { height: auto; max-height: 20; }"
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="jump_cancel", tooltip="Leave the focus where it was")]

    def __init__(self, targets: list[JumpTarget], title: str) -> None:
        super().__init__(classes="dialog")
        self.targets = targets
        self.title_text = title

    def compose(self) -> ComposeResult:
        # Two targets to a row: a whole form's fields fit on 24 lines.
        table = Table.grid(padding=(0, 1), expand=True)
        for _ in range(2):
            table.add_column(style="bold", width=1)
            table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        half = (len(self.targets) + 1) // 2
        for left, right in zip(self.targets[:half], [*self.targets[half:], None], strict=False):
            # A title is plain text (a field's label: "rsakeypair (label [size [enc-size]])"), never markup.
            table.add_row(left.key, Text(left.title), right.key if right else "", Text(right.title) if right else "")
        with Vertical(classes="dialog-box wide", id="jump-box"):
            yield Label(f"Jump to ({self.title_text}): press a key, Esc stays", classes="dialog-title")
            with VerticalScroll(id="jump-scroll", can_focus=False):
                yield Static(table, id="jump-targets")

    @on(Key)
    def _key(self, event: Key) -> None:
        target = next((t for t in self.targets if t.key == event.character), None)
        if target is not None:
            event.stop()
            self.dismiss(target.widget)
