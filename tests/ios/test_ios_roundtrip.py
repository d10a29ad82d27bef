"""``show running-config`` fed back to a new store rebuilds the same configuration (issue 2 item 8)."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ios_support import peer_key_hex, recorder
from pkitui.core.config import to_tables
from pkitui.core.pki import Pki
from pkitui.core.trustpoints import Trustpoint
from pkitui.ios.show_commands import running_config_lines

PEER_DERS = [peer_key_hex()[1] for _ in range(3)]

label = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True)
host = st.one_of(
    st.builds(lambda parts: ".".join(parts), st.lists(label, min_size=1, max_size=3)),
    st.ip_addresses(v=4).map(str),
)
port = st.integers(1, 65535)
path = st.from_regex(r"/[a-z0-9._/-]{0,12}", fullmatch=True)


def url(schemes: list[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda s, h, p, pa: f"{s}://{h}{'' if p is None else f':{p}'}{pa or ''}",
                     st.sampled_from(schemes), host, st.none() | port, st.none() | path)


methods = st.sampled_from([list(p) for n in (1, 2, 3) for p in itertools.permutations(("crl", "ocsp", "none"), n)])
dn_value = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .-]{0,10}[A-Za-z0-9]", fullmatch=True)
dn = st.builds(lambda cn, o, c: ", ".join(x for x in (f"CN={cn}", o and f"O={o}", c and f"C={c}") if x),
               dn_value, st.none() | dn_value, st.none() | st.sampled_from(["US", "DE", "FR"]))
fingerprint = st.sampled_from([32, 40, 64]).flatmap(lambda n: st.from_regex(rf"[0-9A-F]{{{n}}}", fullmatch=True))


@st.composite
def trustpoints(draw: Any, name: str) -> Trustpoint:
    """A trustpoint with any combination of options, each value valid."""
    tp = Trustpoint(name=name)
    maybe = lambda: draw(st.booleans())  # noqa: E731
    if maybe():
        tp.set_enrollment_url(draw(url(["http", "https"])))
    if maybe():
        tp.set_enrollment_command(draw(st.none() | path.filter(lambda p: p != "")))
    tp.enrollment_mode_ra = maybe()
    tp.set_retry_period(draw(st.integers(1, 60)))
    tp.set_retry_count(draw(st.integers(0, 100)))
    if maybe():
        tp.set_http_proxy(draw(host), draw(port))
    if maybe():
        tp.set_crl_query(draw(url(["ldap", "ldaps"])))
    tp.set_revocation_check(draw(methods))
    if maybe():
        tp.set_ocsp_url(draw(url(["http"])))
    if maybe():
        server = draw(host) + (f":{draw(port)}" if maybe() else "")
        tp.set_root_tftp(server, draw(st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True)))
    if maybe():
        tp.set_fingerprint(draw(fingerprint))
    if maybe():
        tp.set_password(draw(st.from_regex(r"[!-~]{1,20}", fullmatch=True)))
    if maybe():
        sizes = draw(st.lists(st.integers(1024, 4096), max_size=2))
        tp.set_rsakeypair(draw(label), *sizes)
    if maybe():
        tp.set_subject_name(draw(dn))
    tp.serial_number = draw(st.none() | st.booleans())
    if maybe():
        tp.set_ip_address(draw(st.ip_addresses().map(str) | st.sampled_from(["none", "lo"])))
    # issue 12's options
    if maybe():
        tp.set_subject_alt_name(draw(host).replace("0", "a") + ".example")
    if maybe():
        tp.set_fqdn(draw(st.sampled_from(["none", "r9.example.com"])))
    if maybe():
        tp.set_usage(draw(st.permutations(["ike", "ssl-client", "ssl-server"]).map(lambda p: p[:2])))
    if maybe():
        tp.set_eku_request(draw(st.lists(st.sampled_from(["client-auth", "server-auth", "ipsec-tunnel", "any"]),
                                         min_size=1, max_size=3, unique=True)))
    if maybe():
        tp.set_hash(draw(st.sampled_from(["sha1", "sha256", "sha384", "sha512"])))
    tp.ocsp_disable_nonce = maybe()
    if maybe():
        tp.set_crl_cache(draw(st.none() | st.integers(1, 43200)))
    if maybe():
        tp.set_chain_validation(stop=maybe(), parent=None)
    elif maybe():
        tp.set_chain_validation(stop=False, parent=draw(label.filter(lambda v: v != name.lower())))
    if maybe():
        tp.set_match_certificate(draw(label))
    return tp


@st.composite
def configurations(draw: Any) -> dict[str, Any]:
    names = draw(st.lists(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,10}", fullmatch=True),
                          max_size=3, unique_by=str.lower))
    peers = draw(st.lists(st.tuples(st.sampled_from(["named", "addressed"]), st.integers(0, 50),
                                    st.sampled_from(["general", "encryption", "signature"]),
                                    st.none() | st.sampled_from(PEER_DERS)),
                          max_size=4, unique_by=lambda p: p[:3]))
    return {
        "hostname": draw(st.none() | label),
        "domain": draw(st.none() | st.builds(".".join, st.lists(label, min_size=1, max_size=3))),
        "query": draw(st.booleans()),
        "trustpoints": [draw(trustpoints(n)) for n in names],
        "peers": peers,
    }


def _build(pki: Pki, conf: dict[str, Any]) -> None:
    if conf["hostname"]:
        pki.set_hostname(conf["hostname"])
    if conf["domain"]:
        pki.set_domain_name(conf["domain"])
    pki.set_query_mode(conf["query"])
    for tp in conf["trustpoints"]:
        pki.config.trustpoints[tp.name] = tp
    for kind, n, usage, der in conf["peers"]:
        entry = pki.pubkey_chain.add(kind, f"peer{n}.example.com" if kind == "named" else f"10.0.0.{n}", usage)
        entry.der = der


def _comparable(pki: Pki) -> dict[str, Any]:
    tables = to_tables(pki.config, None)
    del tables["key_pairs"]  # private keys never leave the device
    return tables


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configurations())
def test_running_config_round_trip(conf: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Pki.open(Path(tmp) / "a")
        _build(source, conf)
        lines = running_config_lines(source)
        # Same store: everything comes back, the sealed challenge passwords included.
        same = recorder(Path(tmp) / "a")
        same.ok("\n".join(lines))
        assert _comparable(same.pki) == _comparable(source)
        # An empty store: the same configuration (a password sealed elsewhere is reported, not set).
        fresh = recorder(Path(tmp) / "b")
        fresh.ok("\n".join(lines))
        expected = _comparable(source)
        for doc in expected["trustpoints"].values():
            doc.pop("password_sealed", None)
        assert _comparable(fresh.pki) == expected
        assert [ln for ln in running_config_lines(fresh.pki) if not ln.startswith(" password 7")] == \
            [ln for ln in lines if not ln.startswith(" password 7")]
        assert sum("sealed by another store" in e for e in fresh.err) == sum(
            tp.password is not None for tp in conf["trustpoints"])


def test_seed_configuration_round_trips_through_exec_text(tmp_path: Path) -> None:
    rec = recorder(tmp_path / "a")
    hex_lines, _ = peer_key_hex()
    rec.ok("conf t\nhostname device1\nip domain-name example.com\ncrypto ca certificate query\n"
           "crypto ca trustpoint ka\nenrollment url http://entrust:81\nenrollment command\n"
           "crl query ldap://bar.cisco.com:3899\nenrollment retry period 2\nenrollment retry count 8\n"
           "revocation-check crl ocsp\nroot tftp server1 file1\nenrollment http-proxy host2 8080\nexit\n"
           "crypto key pubkey-chain rsa\nnamed-key otherpeer.example.com\nkey-string\n" + hex_lines + "\nquit\nend")
    shown = rec.ok("show running-config")
    fresh = recorder(tmp_path / "b")
    fresh.ok("\n".join(shown))
    assert fresh.ok("show running-config")[1:] == shown[1:]
