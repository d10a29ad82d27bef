"""Certificate chain browser: trustpoint → CA → RA → device certificates, a detail pane, PEM on a
toggle, delete with confirmation; days left recoloured by a timer so expiry shows live. Export the
selected trustpoint (PEM as IOS writes it, or PKCS#12) and import one (the CA through the
fingerprint dialog)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from pkitui.core.records import OwnRevocation
from pkitui.tui.screens.base import PkiPane
from pkitui.tui.screens.dialogs import ConfirmDialog
from pkitui.tui.screens.transfer import (ExportDialog, ExportRequest, ImportDialog, ImportRequest, ask_export,
                                         export_trustpoint, import_trustpoint)
from pkitui.tui.tones import Tone
from pkitui.tui.widgets.cert_detail import ROLE_ORDER, CertDetail, CertView, cert_view, days_left, expiry_tone

ROLE_TITLES = {"ca": "CA", "ra": "RA", "ra-signature": "RA (signature)", "ra-encryption": "RA (encryption)",
               "device": "device", "imported": "imported"}


def _walk(node: TreeNode[CertView | None]) -> Iterator[TreeNode[CertView | None]]:
    """Every node under ``node``, depth first."""
    for child in node.children:
        yield child
        yield from _walk(child)


@dataclass
class CertificatesLoaded(Message):
    """The worker parsed the certificates."""

    views: list[CertView]


class CertificatesPane(PkiPane):
    """The chain browser."""

    BINDINGS = [
        Binding("p", "toggle_pem", "PEM", id="certs_pem", tooltip="Show the PEM of the selected certificate (toggle)"),
        Binding("delete", "delete", "Delete", id="certs_delete",
                tooltip="no certificate SERIAL: delete the selected certificate"),
        Binding("c", "copy_pem", "Copy PEM", id="certs_copy",
                tooltip="Copy the selected certificate's PEM to the clipboard"),
        Binding("x", "export", "Export", id="certs_export",
                tooltip="crypto pki export TP pem | pkcs12: the selected trustpoint's CA, key pair and "
                        "certificate to files (refused for a key generated without exportable)"),
        Binding("i", "import", "Import", id="certs_import",
                tooltip="crypto pki import TP pem | pkcs12: key pair, certificate and CA (fingerprint checked)"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.views: list[CertView] = []
        self._bands: dict[int, str] = {}
        self._tp_nodes: dict[int, str] = {}  # tree node id -> the trustpoint it heads

    def compose(self) -> ComposeResult:
        with Horizontal(id="cert-split"):  # side by side; stacked under 110 columns (styles/app.tcss)
            tree: Tree[CertView | None] = Tree("certificates", id="cert-tree", classes="side")
            tree.show_root = False
            yield tree
            with VerticalScroll(id="cert-detail-scroll"):
                yield CertDetail(id="cert-detail")

    def on_mount(self) -> None:
        # PkiPane.on_mount (the reload) runs after this one: Textual calls each class's handler.
        self.set_interval(1.0, self.refresh_expiry)

    def reload(self) -> None:
        """Parse in a worker (X.509 parsing is CPU work), then rebuild the tree."""
        self._load_certificates()

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load_certificates(self) -> None:
        views = [cert_view(i) for i in self.core(self.pki.certificates.list)]
        self.post_message(CertificatesLoaded(views))

    @on(CertificatesLoaded)
    def _loaded(self, message: CertificatesLoaded) -> None:
        message.stop()
        self.views = message.views
        if self._children_gone():
            return
        tree = self.query_one("#cert-tree", Tree)
        selected = self.selected
        keep = (selected.trustpoint, selected.serial_hex) if selected else None
        tree.clear()
        self._bands.clear()
        self._tp_nodes.clear()
        by_tp: dict[str, list[CertView]] = {}
        for view in self.views:
            by_tp.setdefault(view.trustpoint, []).append(view)
        for tp in self.pki.trustpoints.list():
            by_tp.setdefault(tp.name, [])
        select_line = None
        for tp_name, views in by_tp.items():
            tp_node = tree.root.add(self.toned(f"trustpoint {tp_name}", Tone.STRONG), data=None, expand=True)
            self._tp_nodes[tp_node.id] = tp_name
            parent = tp_node
            if not views:
                tp_node.add_leaf(self.toned("no certificates: authenticate the CA", Tone.MUTED), data=None)
            for view in sorted(views, key=lambda v: ROLE_ORDER.get(v.role, 9)):
                node = (parent.add(self._label(view), data=view, expand=True) if view.role == "ca"
                        else parent.add_leaf(self._label(view), data=view))
                if view.role == "ca":
                    parent = node
                if keep == (view.trustpoint, view.serial_hex):
                    select_line = node
        if select_line is None and self.views:  # nothing selected yet: show the first certificate
            select_line = next((n for n in _walk(tree.root) if n.data is not None), None)
        if select_line is not None:
            self.call_after_refresh(tree.move_cursor, select_line)
        self.show_detail(self.selected)

    def _label(self, view: CertView) -> Text:
        """Days left first (coloured), so a narrow tree never hides it; then role and subject."""
        d = days_left(view.not_after, self.now())
        label = Text()
        label.append(f"{int(d):>5}d " if d >= 0 else "expired ", style=self.tone(expiry_tone(d)))
        if view.revocation is OwnRevocation.REVOKED:  # before the subject: a narrow tree cuts the end
            label.append("REVOKED ", style=self.tone(Tone.ERROR_STRONG))
        role = ROLE_TITLES.get(view.role, view.role)
        if view.role == "device" and view.usage and not view.usage.lower().startswith("general"):
            role += f" ({view.usage.lower()[:3]})"
        label.append(f"{role} ", style=self.tone(Tone.STRONG))
        label.append(view.subject[:40])  # the tree scrolls sideways for longer ones
        if view.orphaned:
            label.append(" orphaned", style=self.tone(Tone.WARNING))
        return label

    def _children_gone(self) -> bool:
        """True while the pane is being torn down (quit): its timer and late messages then find
        the tree or the detail already removed, and must do nothing rather than crash."""
        return not self.query("#cert-tree") or not self.query("#cert-detail")

    def refresh_expiry(self) -> None:
        """Timer: recolour nodes whose days-left band changed; refresh the detail's countdown."""
        if self._children_gone():
            return
        tree = self.query_one("#cert-tree", Tree)
        now = self.now()

        def walk(node: TreeNode[CertView | None]) -> None:
            for child in node.children:
                view = child.data
                if view is not None:
                    d = days_left(view.not_after, now)
                    band = f"{expiry_tone(d)}{int(d)}"
                    if self._bands.get(child.id) != band:
                        self._bands[child.id] = band
                        child.set_label(self._label(view))
                walk(child)

        walk(tree.root)
        self.show_detail(self.selected)

    @property
    def selected(self) -> CertView | None:
        """The certificate under the tree cursor."""
        if not self.query("#cert-tree"):
            return None
        node = self.query_one("#cert-tree", Tree).cursor_node
        return node.data if node is not None else None

    def show_detail(self, view: CertView | None) -> None:
        """Fill the detail pane."""
        if self._children_gone():
            return
        self.query_one("#cert-detail", CertDetail).show(view, self.now())

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[CertView | None]) -> None:
        self.show_detail(event.node.data)

    def action_toggle_pem(self) -> None:
        """Fields ⇄ PEM."""
        detail = self.query_one("#cert-detail", CertDetail)
        detail.show_pem = not detail.show_pem
        self.show_detail(self.selected)

    def action_copy_pem(self) -> None:
        """Copy the PEM to the clipboard (OSC 52)."""
        if (view := self.selected) is not None:
            self.app.copy_to_clipboard(view.pem)
            self.notify("PEM copied")

    def action_delete(self) -> None:
        """Delete by serial, after a confirmation."""
        view = self.selected
        if view is None:
            self.notify("Select a certificate first", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(view.trustpoint, view.serial_hex)

        self.app.push_screen(ConfirmDialog(
            f"Delete this {view.role} certificate from trustpoint {view.trustpoint}?",
            [f"serial {view.serial_hex}", f"subject {view.subject}",
             "crypto pki certificate chain " + view.trustpoint + " / no certificate " + view.serial_hex],
            yes="Delete"), confirmed)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _delete(self, trustpoint: str, serial_hex: str) -> None:
        self.core(self.pki.certificates.delete, trustpoint, serial_hex)
        self.say(f"certificate {serial_hex} deleted from {trustpoint}", Tone.WARNING)
        self.changed("certificates")

    # -- export and import of a trustpoint (issue 11) --------------------------------------------
    @property
    def selected_trustpoint(self) -> str | None:
        """The trustpoint of the node under the cursor (a certificate's, or the trustpoint line's)."""
        if not self.query("#cert-tree"):
            return None
        node: TreeNode[CertView | None] | None = self.query_one("#cert-tree", Tree).cursor_node
        while node is not None:
            if node.data is not None:
                return node.data.trustpoint
            if node.id in self._tp_nodes:
                return self._tp_nodes[node.id]
            node = node.parent
        return None

    def action_export(self) -> None:
        """Ask PEM or PKCS#12, where to, the cipher and the password (twice); export in a worker."""
        tp = self.selected_trustpoint
        if tp is None:
            self.notify("Select a trustpoint or one of its certificates first", severity="warning")
            return
        dialog = ExportDialog(f"Export trustpoint {tp}", f"~/{tp}", offer_pkcs12=True,
                              files="PEM writes URL.ca, URL.prv, URL.crt (usage keys: URL-sign.* and "
                                    "URL-encr.*); PKCS#12 the file at URL. Mode 0600.",
                              run=lambda dialog, request: self._export(dialog, tp, request))
        ask_export(self, "", f"Export from trustpoint {tp}", lambda: self.pki.transfer.check_export(tp), dialog)

    @work(thread=True, exclusive=True, exit_on_error=False, group="transfer")
    def _export(self, dialog: ExportDialog, tp: str, request: ExportRequest) -> None:
        export_trustpoint(self, dialog, tp, request)

    def action_import(self) -> None:
        """Ask the trustpoint (PKCS#12 declares it when missing), the form, the URL and the
        password; import in a worker, the CA certificate through the fingerprint dialog."""
        tp = self.selected_trustpoint or ""
        self.app.push_screen(ImportDialog("Import into a trustpoint", "trustpoint (PKCS#12 declares a new one)", tp,
                                          f"~/{tp or 'r1'}", offer_pkcs12=True, run=self._import))

    @work(thread=True, exclusive=True, exit_on_error=False, group="transfer")
    def _import(self, dialog: ImportDialog, request: ImportRequest) -> None:
        import_trustpoint(self, dialog, request)
