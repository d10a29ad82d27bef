"""Fixtures every test shares. The support modules next to this file hold the fixtures and the
helpers: a test imports helpers from them and receives fixtures by name. ``servers/`` holds the
small stand-in servers for the paths no real server can show (PENDING, an RA chain, hostile
replies)."""

from ikev2_support import ike_pair  # noqa: F401 - fixture
from revocation_support import ca, cdp, rogue_ca  # noqa: F401 - fixtures
from scep_support import http_proxy, responder, scep_ca  # noqa: F401 - fixtures
from terminal_support import tmux  # noqa: F401 - fixture
from tui_support import lab, lab_pki  # noqa: F401 - fixtures
