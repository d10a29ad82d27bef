"""The Python API: :class:`Pki` is one device's PKI state, backed by an NVRAM store."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization

from pkitui.core import nvram
from pkitui.core.config import RunningConfig, from_tables, key_file_name, to_tables
from pkitui.core.errors import CapacityError, ConfigError, StoreError
from pkitui.core.identity import validate_domain_name, validate_hostname
from pkitui.core.keyring import KeyRing
from pkitui.core.pubkey_chain import PubkeyChain
from pkitui.core.secrets import PASSPHRASE_ENV, SecretBox
from pkitui.core.store import Store
from pkitui.core.trustpoints import TrustpointService

if TYPE_CHECKING:
    from pkitui.core.certs import CertificateService
    from pkitui.core.revocation.service import RevocationService
    from pkitui.core.scep.service import ScepService

STORE_ENV = "PKITUI_STORE"
MIN_CAPACITY = 1024


def default_store_dir() -> Path:
    """``PKITUI_STORE`` if set, else the user's data directory (platformdirs)."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env)
    import platformdirs  # only here: it costs ~6 ms of every `pkitui exec` start-up

    return Path(platformdirs.user_data_dir("pkitui")) / "store"


class Pki:
    """One device: its running configuration, the saved configuration, and every operation.

    Operations change the running configuration; :meth:`save` writes it to NVRAM
    (``copy system:running-config nvram:startup-config``). A new ``Pki`` starts from the saved one.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        saved = store.read_tables()
        self.box = _open_secret_box(store, saved)
        self.config: RunningConfig = from_tables(saved, store, self.box)
        self._saved_snapshot = _snapshot(self.config)
        self.keys = KeyRing(self)
        self.pubkey_chain = PubkeyChain(self)
        self.trustpoints = TrustpointService(self)

    @functools.cached_property
    def scep(self) -> ScepService:
        """SCEP: authenticate CAs and enroll (imported on first use: it pulls in requests/asn1crypto)."""
        from pkitui.core.scep.service import ScepService

        return ScepService(self)

    @functools.cached_property
    def certificates(self) -> CertificateService:
        """Certificates of every trustpoint: list, delete, import, verify a peer."""
        from pkitui.core.certs import CertificateService

        return CertificateService(self)

    @functools.cached_property
    def revocation(self) -> RevocationService:
        """CRLs (SCEP GetCRL, HTTP, LDAP), OCSP and revocation checks; root over TFTP."""
        from pkitui.core.revocation.service import RevocationService

        return RevocationService(self)

    @classmethod
    def open(cls, store_dir: str | Path | None = None) -> Pki:
        """Open (or create) the store at ``store_dir`` (default: :func:`default_store_dir`)."""
        return cls(Store(Path(store_dir) if store_dir is not None else default_store_dir()))

    # -- identity -------------------------------------------------------------------------------
    def set_hostname(self, name: str) -> None:
        """``hostname NAME``."""
        self.config.identity.hostname = validate_hostname(name)

    def set_domain_name(self, domain: str | None) -> None:
        """``ip domain-name DOMAIN`` (None: ``no ip domain-name``)."""
        self.config.identity.domain_name = validate_domain_name(domain) if domain else None

    @property
    def fqdn(self) -> str | None:
        """host.domain, when both are configured."""
        return self.config.identity.fqdn

    # -- device settings ----------------------------------------------------------------------
    def set_query_mode(self, enabled: bool) -> None:
        """``crypto ca certificate query``: certificates and CRLs are not kept in NVRAM."""
        self.config.query_mode = enabled

    def set_capacity(self, capacity: int) -> None:
        """The NVRAM capacity in bytes (default 512 KiB)."""
        if capacity < MIN_CAPACITY:
            raise ConfigError(f"NVRAM capacity {capacity} is too small", f"Give at least {MIN_CAPACITY} bytes.")
        self.config.capacity = capacity

    # -- NVRAM ----------------------------------------------------------------------------------
    def nvram_usage(self) -> nvram.NvramUsage:
        """How the capacity is (or, after the next save, will be) used."""
        return nvram.usage(self)

    @property
    def dirty(self) -> bool:
        """True when the running configuration differs from the saved one."""
        return _snapshot(self.config) != self._saved_snapshot

    def save(self) -> nvram.NvramUsage:
        """Write the running configuration to NVRAM, atomically.

        Key files are written first, then ``nvram.json`` in one atomic replace, then files no
        longer referenced are removed: a kill at any point leaves the old or the new
        configuration, each with all its keys. When the capacity is exceeded nothing is written
        and the running configuration is unchanged.

        In query mode (seed: "certificates and CRLs are not stored locally") CRLs are dropped and
        CA/RA/other certificates keep only their fingerprint record (so the CA can be fetched and
        checked again); the device's own and imported certificates are kept whole, because a CA
        without GetCert could not give them back.
        """
        config = self.config
        use = nvram.usage(self)
        if use.total > use.capacity:
            raise CapacityError(
                f"% Not enough NVRAM: the configuration needs {use.total} bytes of {use.capacity}",
                "Enable query mode (crypto ca certificate query), zeroize unused keys or raise the capacity.",
            )
        certs, crls = config.certificates, config.crls
        if config.query_mode or use.dropped_for_capacity:
            self.certificates.remember(certs)  # dropped from NVRAM, their DER stays in memory
        if config.query_mode:
            certs = [c if c.der is None or nvram.kept_in_query_mode(c.role) else replace(c, der=None) for c in certs]
            crls = []
        if use.dropped_for_capacity:  # seed: NVRAM too small for a root certificate -> fingerprint only
            certs = [replace(c, der=None) if c.sha256 in use.dropped_for_capacity else c for c in certs]
        to_save = replace(config, certificates=certs, crls=crls)
        try:
            with self.store.locked():
                for pair in to_save.key_pairs.values():
                    name = key_file_name(pair)
                    if not self.store.has_private(name):  # content-named: an existing file is this key
                        self.store.write_private(name, pair.private_key.private_bytes(
                            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, self.box.encryption()))
                tables = to_tables(to_save, self.box)
                tables["device"]["1"]["secret_mode"] = self.box.mode
                tables["device"]["1"]["secret_check"] = self.box.check_token()
                self.store.write_tables(tables)
                keep = {doc["file"] for doc in tables["key_pairs"].values()}
                self.store.collect_garbage(self.store.private_dir, keep, "*.p8")
                self.store.collect_garbage(self.store.crl_dir, {c.file for c in crls if c.in_nvram}, "*")
                self.store.collect_garbage(self.store.cache_dir, {c.file for c in crls if not c.in_nvram}, "*.crl")
        except OSError as exc:
            raise StoreError(
                f"% Cannot write the NVRAM store {self.store.root}: {exc.strerror or exc}",
                "Check free disk space and permissions; the previously saved configuration is intact.",
            ) from None
        config.certificates, config.crls = certs, crls
        self._saved_snapshot = _snapshot(config)
        return nvram.usage(self) if config.query_mode or use.dropped_for_capacity else use


def _snapshot(config: RunningConfig) -> str:
    """A canonical text of the configuration to tell whether it changed (passwords as digests).

    Text rather than the tables themselves: no list or dict of the live configuration is shared.
    """
    return json.dumps(to_tables(config, None), sort_keys=True)


def _open_secret_box(store: Store, saved: dict[str, dict[str, Any]]) -> SecretBox:
    """The store's SecretBox, refusing clearly when the passphrase is missing, extra or wrong."""
    device: dict[str, Any] = next(iter(saved.get("device", {}).values()), {})
    mode = device.get("secret_mode")
    passphrase_set = bool(os.environ.get(PASSPHRASE_ENV))
    if mode == "passphrase" and not passphrase_set:
        raise StoreError(
            f"% The store {store.root} is protected by a passphrase",
            f"Set {PASSPHRASE_ENV} to it (e.g. read -rs {PASSPHRASE_ENV}; export {PASSPHRASE_ENV}).",
        )
    if mode == "keyfile" and passphrase_set:
        raise StoreError(
            f"% The store {store.root} was saved without a passphrase (its key is private/master.key)",
            f"Unset {PASSPHRASE_ENV} to open it.",
        )
    box = SecretBox.for_private_dir(store.private_dir, create=mode is None)
    if device.get("secret_check"):
        box.verify(device["secret_check"])
    return box

