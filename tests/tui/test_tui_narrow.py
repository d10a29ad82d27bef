"""The console at 80x24 (issue 10, points 12-13): the footer leads with ``? Help`` and keeps the
pane's keys (at 120 columns too), Help's descriptions wrap inside their column, the CRL viewer
lists one CRL per issuer, the NVRAM bars are in proportion."""

from __future__ import annotations

from datetime import datetime, timezone

from textual.widgets import Static
from textual.widgets._footer import FooterKey

from pkitui.core.revocation.crl_info import CrlInfo, CrlLocation
from pkitui.tui.screens.crls import one_per_issuer
from pkitui.tui.screens.dialogs import HelpScreen
from pkitui.tui.tabs import TABS
from pkitui.tui.widgets.nvram_gauge import BAR_CELLS, category_bar, stacked_bar
from tui_support import each_size, fixed_pki, frozen_app, ready, wait_for


def _info(tp: str, issuer: str, number: int | None, day: int) -> CrlInfo:
    return CrlInfo(trustpoint=tp, issuer=issuer, source=f"http://ca/{tp}-{day}.crl",
                   this_update=datetime(2026, 3, day, tzinfo=timezone.utc), next_update=None, entries=day,
                   size=100, sha256=f"{tp}{day}", crl_number=number, location=CrlLocation.NVRAM)


def test_the_viewer_lists_one_crl_per_issuer_the_newest_with_every_trustpoint_holding_one() -> None:
    infos = [_info("lab", "CN=A", 4, 10), _info("lab2", "CN=A", 5, 9), _info("other", "CN=B", None, 1),
             _info("other2", "CN=B", None, 3)]
    rows, holders = one_per_issuer(infos)
    assert [(r.trustpoint, r.crl_number) for r in rows] == [("lab2", 5), ("other2", None)]  # number, then date
    assert holders == [["lab", "lab2"], ["other", "other2"]]


def test_nvram_bars_are_in_proportion() -> None:
    styles: dict[str, object] = {}
    # 25% and 50% of a 40-cell bar: 10 and 20 cells, no cell given to a category of 0 bytes.
    bar = stacked_bar({"own keys": 250, "peer keys": 0, "CRLs": 500}, 1000, 40, styles)  # type: ignore[arg-type]
    assert bar.plain == "█" * 30 + "░" * 10
    tiny = stacked_bar({"own keys": 7}, 1000, 40, styles)  # type: ignore[arg-type]  # 0.28 cell
    assert tiny.plain[0] in "▏▎▍" and tiny.plain[1:] == "░" * 39
    # Category bars against what is used: twice the bytes, twice the length (in eighths).
    assert category_bar(100, 300) != "" and len(category_bar(300, 300)) == BAR_CELLS
    assert category_bar(0, 300) == ""


async def test_at_80_columns_the_footer_leads_with_help_and_keeps_the_pane_keys() -> None:
    app = frozen_app(fixed_pki())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await pilot.pause()
        keys = [k for k in app.screen.query(FooterKey) if k.display]
        assert keys[0].action == "help"
        shown = [k.action for k in keys]
        assert "save" not in shown and "command_line" not in shown  # named by the status line and Help
        right = max(k.region.right for k in keys if k.action in ("app.help", "help"))
        assert right <= 80
    app = frozen_app(fixed_pki())
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        shown = [k.action for k in app.screen.query(FooterKey) if k.display]
        assert shown[0] == "help" and "save" in shown and "command_line" in shown


@each_size
async def test_every_pane_shows_all_its_keys_in_the_footer(size: tuple[int, int]) -> None:
    """Each tab's own keys (Trustpoints has nine) fit beside ? Help and ^o Jump: none cut at 80
    columns, none under the palette hint (^p palette, docked right) at 120."""
    app = frozen_app(fixed_pki())
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        for number, (tab, _title, _load) in enumerate(TABS, start=1):
            await pilot.press(str(number))
            await pilot.pause()
            pane = app.pane(tab)
            keys = {k.action: k for k in app.screen.query(FooterKey) if k.display}
            palette = [k for k in app.screen.query(FooterKey) if k.display and k.has_class("-command-palette")]
            edge = min([k.region.x for k in palette], default=size[0])
            wanted = [binding.action for binding in pane.BINDINGS if binding.show] + ["help", "jump"]
            for action in wanted:
                assert action in keys, f"{tab}: {action} is not in the footer"
                assert keys[action].region.right <= edge, f"{tab}: {action} is cut at {size[0]} columns"


@each_size
async def test_help_wraps_each_description_inside_its_column(size: tuple[int, int]) -> None:
    """Help's key table: a description too long for one line goes on under its own column, never
    under the key or action columns (nor at the dialog's left edge)."""
    app = frozen_app(fixed_pki())
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        sections = list(app.screen.query(".help-section").results(Static))
        assert len(sections) == 1 + len(TABS)
        rows = []
        for section in sections:
            lines = [section.render_line(y).text.rstrip() for y in range(section.size.height)]
            rows += [line for line in lines[1:] if line]  # the section's title first
        wrapped = [line for line in rows if line.startswith(" ")]
        assert wrapped, "no description needed a second line: the test checks nothing"
        column = len(wrapped[0]) - len(wrapped[0].lstrip())  # where descriptions go on
        assert column > len("ctrl+s  Hostname and domain"), wrapped[0]  # beyond the key and action columns
        for line in rows:
            if line.startswith(" "):
                assert len(line) - len(line.lstrip()) == column, line
            else:  # key, action, description: the description starts at that column too
                assert line[column - 2:column] == "  " and line[column] != " ", line


async def test_enrollment_toasts_never_cover_the_dialog_buttons_at_80x24() -> None:
    """A certificate issued is shown in the dialog's table and the log, not in a toast over the
    Cancel and Close buttons; the summary toast comes once the dialog is closed."""
    from textual.widgets import Button
    from textual.widgets._toast import Toast

    from pkitui.core.scep.enroll import EnrollmentEvent, EnrollmentResult, EnrollmentState
    from pkitui.tui.screens.enrollment import EnrollmentEventReceived, EnrollmentFinished, EnrollmentScreen

    app = frozen_app(fixed_pki())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = EnrollmentScreen("lab")
        await app.push_screen(screen)
        screen.post_message(EnrollmentEventReceived(
            EnrollmentEvent("lab", "r1.example.com", "issued", "certificate issued, serial 2")))
        cert = app.pki.certificates.ca_certificate("lab")  # any certificate: the dialog counts them
        screen.post_message(EnrollmentFinished(
            [EnrollmentResult("lab", "r1.example.com", EnrollmentState.ISSUED, certificate=cert)], None))
        await wait_for(pilot, lambda: screen.finished)
        await pilot.pause(0.3)
        buttons = [b.region for b in screen.query(Button)]
        toasts = [t.region for t in app.screen.query(Toast)]
        assert not any(t.overlaps(b) for t in toasts for b in buttons), (toasts, buttons)
        await pilot.click("#close")
        await wait_for(pilot, lambda: not isinstance(app.screen, EnrollmentScreen))
        await wait_for(pilot, lambda: any(n.message == "1 certificate(s) issued for lab" for n in app._notifications))
