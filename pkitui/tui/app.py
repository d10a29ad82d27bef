"""The pkitui console: tabs for every screen, a log pane, the ``:`` IOS command line, ctrl+s saves."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

import pkitui
from pkitui.tui.bridge import describe_error
from pkitui.tui.chrome import LogPane, StatusLine
from pkitui.tui.commandline import CommandLine
from pkitui.tui.console_log import ConsoleEvent, config_saved, console_line
from pkitui.tui.commands import ActionsProvider
from pkitui.tui.messages import (CommandOutputWritten, ConfigChanged, ConfigSaved, CoreCallFailed,
                                 StoreRefreshed)
from pkitui.tui.screens.base import PkiPane
from pkitui.tui.screens.home import HomePane
from pkitui.tui.tabs import TABS, PanePlaceholder
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.keys_footer import KeysFooter
from pkitui.tui.waits import CANCEL_KEY, NetworkWaits, WaitBar

if TYPE_CHECKING:
    from pkitui.core.pki import Pki
    from pkitui.tui.log_search import LogSearch
    from pkitui.tui.prompt_line import CommandBar, RouterInput

# A second ctrl+q within this many seconds quits although the configuration is unsaved.
QUIT_CONFIRM_SECONDS = 10.0
# How the console names itself when another session's save conflicts with one of its saves.
CONSOLE_WRITER = "the pkitui console"
# How often the console looks whether another process (pkitui exec, cron, an agent) saved the store.
STORE_WATCH_SECONDS = 1.0


class LabInfo(Protocol):
    """What the console shows of ``pkitui lab``. The entry point (pkitui.cli.run_lab) passes the
    running pkitui.lab.Lab; the console never imports the lab, so it names only what it reads."""

    def summary(self) -> list[tuple[str, str]]:
        """(label, value) lines for the home screen."""
        ...

    def banner_lines(self) -> list[str]:
        """The lines the lab printed, repeated in the log pane."""
        ...


def styles_dir() -> Path:
    """styles/ inside the installed package (wheel: hatch force-includes it), else the repo's."""
    here = Path(pkitui.__file__).parent
    packaged = here / "styles"
    return packaged if packaged.is_dir() else here.parent / "styles"


class PkiConsole(App[None]):
    """The console over one device's store."""

    TITLE = "pkitui"
    CSS_PATH = [styles_dir() / "app.tcss", styles_dir() / "widgets.tcss"]
    COMMANDS = App.COMMANDS | {ActionsProvider}
    # Classes on the screen by terminal width: styles/app.tcss tightens the layout under 110 columns.
    # The status line, the log's search field, the waits and the footer stay over a maximized pane.
    ALLOW_IN_MAXIMIZED_VIEW = "Footer,StatusLine,LogSearch,WaitBar,CommandBar"
    # Escape leaves the input that has focus first (the log's search field); the log pane's own
    # Escape then leaves full screen.
    ESCAPE_TO_MINIMIZE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        # priority: also under a modal (the enrollment progress screen may wait minutes for a PENDING poll)
        Binding("ctrl+s", "save", "Save", id="save", priority=True,
                tooltip="copy running-config startup-config: write the configuration to NVRAM"),
        Binding("colon", "command_line", "Command", id="command_line", key_display=":",
                tooltip="Type an IOS command (the same language as pkitui exec)"),
        Binding("question_mark", "help", "Help", id="help", key_display="?",
                tooltip="Every key of this screen, and how to use the console"),
        Binding("f8", "edit_identity", "Hostname and domain", id="edit_identity", show=False,
                tooltip="hostname NAME and ip domain-name DOMAIN: the device's identity (certificate subjects)"),
        Binding("ctrl+l", "clear_log", "Clear log", id="clear_log", show=False, tooltip="Clear the log pane"),
        # priority: it works from inside an input too (that is where a long Tab chain starts)
        Binding("ctrl+o", "jump", "Jump", id="jump", priority=True,
                tooltip="Jump mode: every field, list and button of this screen under one key"),
        Binding("f12", "log_full_screen", "Log full screen", id="log_full_screen", show=False,
                tooltip="The log pane over the whole screen (again: back to the tabs); End: the newest line"),
        Binding("ctrl+f", "search_log", "Search log", id="search_log", show=False,
                tooltip="Find text in the log pane (Enter: next match)"),
        # priority: also under a modal and in an input, only while something waits (check_action)
        Binding(CANCEL_KEY, "cancel_wait", "Cancel wait", id="cancel_wait", priority=True,
                tooltip="Cancel the network operation(s) waiting now: the connection is cut at once"),
        *[
            Binding(str(i + 1), f"show_tab('{tab}')", title, id=f"tab_{tab}", show=False,
                    tooltip=f"Show the {title} screen")
            for i, (tab, title, _load) in enumerate(TABS)
        ],
    ]

    def __init__(
        self,
        store_dir: str | Path | None = None,
        *,
        pki: Pki | None = None,
        lab: LabInfo | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        # Without a Pki the store is opened when the console composes, before its first frame.
        self._pki: Pki | None = pki
        if pki is not None:
            pki.writer = CONSOLE_WRITER
        self._store_dir = store_dir
        self._store_error: Exception | None = None  # why the store could not be opened (the console exits)
        self.lab = lab
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(timezone.utc))
        self._quit_armed_at = float("-inf")
        self.stopped_by: int | None = None  # the stop signal that ended the console, if any
        self.command_line = CommandLine(self)
        self.network_waits = NetworkWaits()
        self._focus_before_command: Widget | None = None  # given the focus back when ':' closes
        self.user_keymap: dict[str, str] = {}  # binding id -> keys, from the user's keymap file
        self._chrome_mounted = False  # the log's search field, the waits and the command line (after the first frame)

    # -- the store -----------------------------------------------------------------------------
    @property
    def core_lock(self) -> threading.RLock:
        """The core's lock (``Pki.lock``: saves, refreshes and enrollments take it too), held by a
        worker around a core call; the core is not thread-safe. Enrollment takes it itself, only
        while it works (see :mod:`pkitui.core.scep.service`)."""
        return self.pki.lock

    @property
    def pki_ready(self) -> bool:
        """True once the store is open."""
        return self._pki is not None

    @property
    def pki(self) -> Pki:
        """The device's Pki."""
        if self._pki is None:
            from pkitui.core.errors import StoreError

            raise StoreError("The store could not be opened", "See the message above; check --store.")
        return self._pki

    def _open_store(self) -> None:
        """Open the store before the first frame, so that the first frame shows it. Measured
        (bench/tui_startup.py): opened by a worker after the first paint, the store reached Home
        ~80 ms later than this, since the worker's imports shared the interpreter with the frames
        painted meanwhile ("opening the store", then the store)."""
        try:
            from pkitui.core.pki import Pki

            self._pki = Pki.open(self._store_dir, writer=CONSOLE_WRITER)
        except Exception as error:  # noqa: BLE001 - the console exits with the reason (on_mount)
            self._store_error = error

    def _mount_hidden_tabs(self) -> None:
        """The hidden tabs become their panes now that the store is open: each reloads once, on
        mount (mounted before, every pane reloaded a second time when the store opened)."""
        for placeholder in self.query(PanePlaceholder):
            placeholder.become_pane_soon()

    def _watch_store_changes(self) -> None:
        self.set_interval(STORE_WATCH_SECONDS, self._look_at_store, name="store watch")

    def _look_at_store(self) -> None:
        """A stat of nvram.json: when another process saved, reload in a worker."""
        if self._pki is not None and self._pki.store_changed():
            self._refresh_store()

    @work(thread=True, exclusive=True, exit_on_error=False, group="refresh")
    def _refresh_store(self) -> None:
        with self.core_lock:
            refresh = self.pki.refresh()
        self.post_message(StoreRefreshed(refresh))

    @on(StoreRefreshed)
    def _store_refreshed(self, message: StoreRefreshed) -> None:
        """Say what another session's save changed here, and flag what conflicts."""
        refresh = message.refresh
        if refresh.taken:
            self.write_log(f"Another session saved the store ({refresh.saved_by}); reloaded: "
                           + ", ".join(refresh.taken), Tone.NOTE)
        for name in refresh.conflicts:
            self.write_log(f"% Conflict: {name} was saved by {refresh.changes.get(name, refresh.saved_by)}, and "
                           "changed here too (not saved). Your version is kept: ctrl+s replaces theirs; "
                           ":show startup-config shows theirs.", Tone.WARNING_STRONG)
        if refresh.conflicts:
            self.notify("\n".join(refresh.conflicts), title="Changed by another session too", severity="warning",
                        timeout=10)
        if refresh.taken or refresh.conflicts:
            self.post_message(ConfigChanged("store changed"))

    def tell_pending(self) -> None:
        """Saved PENDING enrollments survive a restart: say so, and how to resume them."""
        pending = self.pki.config.pending
        if pending:
            self.notify(f"{len(pending)} enrollment(s) still PENDING at the CA. Press 2 then u to resume polling.",
                        title="Pending enrollment", timeout=10)

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        if self._pki is None:
            self._open_store()
        yield StatusLine(id="status")
        with TabbedContent(id="tabs", initial="home"):
            for i, (tab, title, _load) in enumerate(TABS):
                with TabPane(f"{i + 1} {title}", id=tab):
                    # Hidden tabs are imported and mounted once the store is open.
                    yield HomePane(id="home-pane") if tab == "home" else PanePlaceholder(tab)
        yield LogPane(id="log", wrap=True, markup=False, max_lines=2000)
        # The log's search field, the waits and the command line are hidden until asked for: they
        # are mounted just after the first frame (_mount_hidden_chrome), which they would slow by
        # ~20 ms (bench/tui_startup.py).
        yield KeysFooter()

    async def _mount_hidden_chrome(self) -> None:
        """Mount the hidden chrome (each hidden before mounting: hidden on mount, each was styled twice)."""
        from pkitui.tui.log_search import LogSearch
        from pkitui.tui.prompt_line import CommandBar

        log = self.query_one("#log", LogPane)
        search = LogSearch(log, id="log-search")
        search.display = False
        bar = CommandBar(self.command_line, id="cmdbar")
        bar.display = False
        try:
            await self.mount(search, WaitBar(self.network_waits, id="waits"), after=log)
            await self.mount(bar, before=self.query_one(KeysFooter))
        except Exception:  # noqa: BLE001 - the app quit meanwhile (as PanePlaceholder._become_pane)
            return
        self._chrome_mounted = True

    def _when_chrome_mounted(self, action: Callable[[], object]) -> bool:
        """False, with ``action`` called again once the hidden chrome is mounted (a key pressed
        within the first frames); True when it is mounted."""
        if self._chrome_mounted:
            return True
        self.call_after_refresh(action)
        return False

    def on_mount(self) -> None:
        if self._store_error is not None:
            text, hint = describe_error(self._store_error)
            self.exit(return_code=2, message=text + (f"\n{hint}" if hint else ""))
            return
        self.network_waits.start()
        self.call_after_refresh(self._mount_hidden_chrome)
        self.call_after_refresh(self._apply_keymap_file)  # after the first frame: tomllib is not on its path
        self._mount_hidden_tabs()
        self.tell_pending()
        self._watch_store_changes()
        self.update_status()
        self.theme_changed_signal.subscribe(self, lambda _theme: self.update_status())  # its colours
        self.query_one(HomePane).focus_main()
        if self.lab is not None:
            for line in self.lab.banner_lines():
                self.write_log(line, Tone.STRONG)

    def on_unmount(self) -> None:
        self.network_waits.stop()

    def panes(self) -> list[PkiPane]:
        """Every tab's pane that is mounted (hidden ones mount once the store is open)."""
        return list(self.query(PkiPane))

    def pane(self, tab: str) -> PkiPane:
        """The pane of one tab."""
        return self.query_one(f"#{tab}-pane", PkiPane)

    # -- status line and log -------------------------------------------------------------------
    def update_status(self) -> None:
        """Device name, store and the unsaved-changes marker (``pki.dirty``)."""
        line = self.query_one("#status", StatusLine)
        status = Text(no_wrap=True, overflow="ellipsis")
        status.append(" pkitui ", style=line.name_style())
        if not self.pki_ready:
            status.append(f" opening the store {self._store_dir or ''}…", style=line.tone(Tone.MUTED))
            line.update(status)
            return
        # The marker comes first so that a narrow terminal never cuts it off.
        if self.pki.dirty:
            status.append(" ● unsaved changes (ctrl+s saves)", style=line.tone(Tone.WARNING_STRONG))
        else:
            status.append(" ✓ saved", style=line.tone(Tone.OK))
        if self.pki.config.query_mode:
            status.append("  query mode", style=line.tone(Tone.ACCENT_STRONG))
        ident = self.pki.config.identity
        status.append(f"  {self.pki.fqdn or ident.hostname or 'no hostname set'}", style=line.tone(Tone.STRONG))
        room = line.content_region.width - status.cell_len - len("  store ")  # 0 before the first layout
        path = str(self.pki.store.root)
        if 0 < room < len(path):  # keep the path's end (the store's own name), cut at the start
            path = "…" + path[-(room - 1):] if room > 8 else "…"
        status.append(f"  store {path}", style=line.tone(Tone.MUTED))
        line.update(status)

    def on_resize(self, event: events.Resize) -> None:
        """The status line fits the store's path to the new width once the layout has it."""
        self.call_after_refresh(self.update_status)

    def write_log(self, text: str, tone: Tone | None = None) -> None:
        """Append a line to the log pane, in ``tone`` (styles/widgets.tcss colours it)."""
        self.query_one("#log", LogPane).write_line(text, tone)

    @on(ConsoleEvent)
    def _console_event(self, event: ConsoleEvent) -> None:
        """A console message, timestamped by the console's clock as a router prints it."""
        self.write_log(console_line(self.clock(), event), event.tone)

    @on(CommandOutputWritten)
    def _output_written(self, message: CommandOutputWritten) -> None:
        self.write_log(message.text, message.tone)

    @on(ConfigChanged)
    def _config_changed(self, message: ConfigChanged) -> None:
        for pane in self.panes():
            pane.reload()
        self.update_status()
        bar = self.query_one("#cmdbar", Widget) if self._chrome_mounted else None
        if bar is not None and bar.display:
            cast("CommandBar", bar).update_prompt()  # a command changed the mode, or the hostname

    # -- errors: the one place they are shown ---------------------------------------------------
    @on(CoreCallFailed)
    def _core_call_failed(self, message: CoreCallFailed) -> None:
        text, hint = describe_error(message.error)
        if not message.logged:
            self.write_log(text, Tone.ERROR_STRONG)
        if hint:
            self.write_log(hint, Tone.ERROR)
        self.notify(text + (f"\n{hint}" if hint else ""), title="Error", severity="error", timeout=8)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """App-level workers (save, command line) report failures like the panes' workers; a
        store that cannot be opened ends the console with the reason."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.post_message(CoreCallFailed(event.worker.error))

    # -- actions --------------------------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        """Switch to a tab and focus its main widget."""
        self.query_one("#tabs", TabbedContent).active = tab
        self._focus_pane(tab, 50)

    def _focus_pane(self, tab: str, tries: int) -> None:
        """Focus a pane's main widget; a hidden tab may still be mounting (it waits for the store
        to open): retry shortly."""
        panes = list(self.query(f"#{tab}-pane").results(PkiPane))
        if panes:
            panes[0].focus_main()
        elif tries:
            self.set_timer(0.01, lambda: self._focus_pane(tab, tries - 1 if self.pki_ready else tries))

    def action_jump(self) -> None:
        """ctrl+o: the current pane's focus targets (and the log), one key each."""
        from pkitui.tui.screens.jump import JumpScreen, jump_targets

        tab = self.query_one("#tabs", TabbedContent).active
        panes = list(self.query(f"#{tab}-pane").results(PkiPane))
        if not panes:
            return
        targets = jump_targets(panes[0], [self.query_one("#log")])

        def jumped(widget: Widget | None) -> None:
            if widget is not None and widget.is_attached:
                widget.focus()

        self.push_screen(JumpScreen(targets, tab), jumped)

    def action_help(self) -> None:
        """Show the help screen."""
        from pkitui.tui.screens.dialogs import HelpScreen

        self.push_screen(HelpScreen(self))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cancel wait exists only while an operation waits for the network; Jump only over the tabs."""
        if action == "cancel_wait":
            return bool(self.network_waits.current())
        if action == "jump":  # the tabs' panes only; a dialog keeps its own keys
            return self.screen is self.screen_stack[0]
        return True

    def action_cancel_wait(self) -> None:
        """Cancel every network operation waiting now (cut its connection; it ends at once)."""
        for wait in self.network_waits.cancel():
            self.write_log(f"Cancelling {wait.what} after {wait.elapsed():.1f} s", Tone.ACCENT)

    def _apply_keymap_file(self) -> None:
        """The user's keymap file, when there is one."""
        from pkitui.tui.keymap import keymap_file

        user_keymap = keymap_file()
        if user_keymap is not None:
            self.apply_user_keymap(user_keymap)

    def apply_user_keymap(self, path: Path | None = None) -> None:
        """The keymap file (keymap.toml in the config dir) over the default keys; what is wrong in
        it is said in the log pane."""
        from pkitui.tui.keymap import binding_ids, load_keymap

        keymap = load_keymap(binding_ids(), path)
        for problem in keymap.problems:
            self.write_log(problem, Tone.WARNING)
        self.user_keymap = keymap.keys
        self.set_keymap(keymap.keys)
        if keymap.keys:
            self.write_log(f"Keys from {keymap.path}: " + ", ".join(f"{i} = {k}" for i, k in keymap.keys.items()),
                           Tone.NOTE)

    def action_edit_identity(self) -> None:
        """hostname and ip domain-name, in a dialog; applied in a worker."""
        from pkitui.tui.screens.identity import Identity, IdentityDialog

        ident = self.pki.config.identity

        def applied(identity: Identity | None) -> None:
            if identity is not None:
                self._set_identity(identity.hostname, identity.domain_name)

        self.push_screen(IdentityDialog(ident.hostname, ident.domain_name), applied)

    @work(thread=True, exclusive=True, exit_on_error=False, group="identity")
    def _set_identity(self, hostname: str, domain_name: str | None) -> None:
        with self.core_lock:
            self.pki.set_hostname(hostname)
            self.pki.set_domain_name(domain_name)
        self.post_message(CommandOutputWritten(f"hostname {hostname}"))
        self.post_message(CommandOutputWritten(f"ip domain-name {domain_name}" if domain_name
                                               else "no ip domain-name"))
        self.post_message(ConfigChanged("identity"))

    def action_log_full_screen(self) -> None:
        """The log over the whole screen, or back."""
        log = self.query_one("#log", LogPane)
        if self.screen.maximized is log:
            self.screen.minimize()
            return
        log.focus()
        self.screen.maximize(log)

    def action_search_log(self) -> None:
        """Open the log's search field."""
        if self._when_chrome_mounted(self.action_search_log):
            cast("LogSearch", self.query_one("#log-search")).open()

    def action_clear_log(self) -> None:
        """Clear the log pane."""
        self.query_one("#log", LogPane).clear()

    def action_command_line(self) -> None:
        """Open the IOS command line (Escape closes it and gives the focus back where it was)."""
        if not self._when_chrome_mounted(self.action_command_line):
            return
        cmd = self.query_one("#cmdline", Input)
        if self.focused is not cmd:
            self._focus_before_command = self.focused
        bar = cast("CommandBar", self.query_one("#cmdbar"))
        bar.display = True
        bar.update_prompt()
        self.screen.add_class("-command-line")  # the log pane grows while the command line is open
        cmd.focus()

    def action_save(self) -> None:
        """ctrl+s: copy running-config startup-config."""
        self._save_config()

    async def action_quit(self) -> None:
        """ctrl+q. With unsaved changes the first press only warns (they would be lost, as on a
        router's reload); a second press within QUIT_CONFIRM_SECONDS quits without saving."""
        now = self.clock().timestamp()
        if self._pki is not None and self._pki.dirty and now - self._quit_armed_at > QUIT_CONFIRM_SECONDS:
            self._quit_armed_at = now
            self.write_log("% Unsaved changes: ctrl+s saves them; ctrl+q again quits without saving.", Tone.WARNING)
            self.notify("ctrl+s saves them; ctrl+q again quits without saving.",
                        title="Unsaved changes", severity="warning")
            return
        self.exit()

    def _handle_exception(self, error: Exception) -> None:
        """A pane still mounting (hidden tabs mount just after the first frame) when the console
        quits finds its widgets already torn down: that NoMatches is no error worth a traceback
        over the restored terminal. Anything else, or NoMatches while running, is."""
        from textual.css.query import NoMatches

        if self._exit and isinstance(error, NoMatches):
            return
        super()._handle_exception(error)

    def stop_on_signal(self, signum: int) -> bool:
        """SIGTERM, SIGINT or SIGHUP (pkitui.cli forwards them here): quit as ctrl+q does,
        without asking (nobody can answer a signal; unsaved changes are lost, as on a reload), so
        Textual restores the terminal and the caller stops what it started. Runs in the main
        thread, which runs the event loop; False when the app is not running."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        if self._exit and self.stopped_by is None:  # already quitting (ctrl+q): let it finish
            return True
        self.stopped_by = signum
        loop.call_soon_threadsafe(lambda: self.exit(return_code=128 + signum))
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save_config(self) -> None:
        from pkitui.core.merge import SaveConflict

        with self.core_lock:
            try:
                usage = self.pki.save()
            except SaveConflict:
                self.post_message(ConfigChanged("merged before a refused save"))  # theirs was taken over
                raise
        self.post_message(ConfigSaved(usage))

    @on(ConfigSaved)
    def _config_saved(self, message: ConfigSaved) -> None:
        use = message.usage
        self.write_log("[OK]", Tone.OK)
        self.post_message(config_saved(use.total, use.capacity))
        self.notify("Configuration saved to NVRAM", title="Saved")
        self.post_message(ConfigChanged("saved"))

    def run_pane_action(self, tab: str, action: str) -> None:
        """Run a pane's action (used by the command palette)."""
        self.action_show_tab(tab)

        def run(tries: int = 50) -> None:
            panes = list(self.query(f"#{tab}-pane").results(PkiPane))
            if panes:
                self.call_later(panes[0].run_action, action)
            elif tries:
                self.set_timer(0.01, lambda: run(tries - 1))

        run()

    # -- the command line ------------------------------------------------------------------------
    @on(Input.Submitted, "#cmdline")
    def _command_submitted(self, event: Input.Submitted) -> None:
        line = event.value.strip()
        event.input.value = ""
        if line:
            cast("RouterInput", self.query_one("#cmdline")).remember(line)
            self.command_line.submit(line)

    def on_key(self, event: events.Key) -> None:
        cmd = self.query_one("#cmdline", Input) if self._chrome_mounted else None
        if event.key == "escape" and cmd is not None and cmd.has_focus:
            self.query_one("#cmdbar").display = False
            self.screen.remove_class("-command-line")
            event.stop()
            before, self._focus_before_command = self._focus_before_command, None
            if before is not None and before.is_attached and before.focusable:
                before.focus()
        elif event.key == "escape" and isinstance(self.focused, Input) and self.screen is self.screen_stack[0]:
            # Escape leaves any input of a pane: to the pane's first widget that is not an input (a
            # list or table, where the pane's single-letter keys act), else to nothing.
            pane = next((a for a in self.focused.ancestors if isinstance(a, PkiPane)), None)
            if pane is not None:
                event.stop()
                target = next((w for w in pane.query("*") if w.focusable and not isinstance(w, Input)), None)
                self.set_focus(target)

    @work(thread=True, exit_on_error=False, group="cmdline")
    def run_command_queue(self) -> None:
        """Run the command line's queued lines in order (one such worker at a time; not
        exclusive, which cancelled a line not yet started when the next one came)."""
        self.command_line.drain()
