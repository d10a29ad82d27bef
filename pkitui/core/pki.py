"""The Python API: :class:`Pki` is one device's PKI state, backed by an NVRAM store."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives import serialization

from pkitui.core import nvram
from pkitui.core.config import RunningConfig, comparable, from_tables, key_file_name, to_tables
from pkitui.core.errors import CapacityError, ConfigError
from pkitui.core.identity import validate_domain_name, validate_hostname
from pkitui.core.keyring import KeyRing
from pkitui.core.pubkey_chain import PubkeyChain
from pkitui.core.secrets import SecretBox
from pkitui.core.store import Store
from pkitui.core.trustpoints import TrustpointService

STORE_ENV = "PKITUI_STORE"
MIN_CAPACITY = 1024


def default_store_dir() -> Path:
    """``PKITUI_STORE`` if set, else the user's data directory (platformdirs)."""
    env = os.environ.get(STORE_ENV)
    return Path(env) if env else Path(platformdirs.user_data_dir("pkitui")) / "store"


class Pki:
    """One device: its running configuration, the saved configuration, and every operation.

    Operations change the running configuration; :meth:`save` writes it to NVRAM
    (``copy system:running-config nvram:startup-config``). A new ``Pki`` starts from the saved one.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.box = SecretBox.for_private_dir(store.private_dir)
        saved = store.read_tables()
        self.config: RunningConfig = from_tables(saved, store, self.box)
        self._saved_snapshot = comparable(to_tables(self.config, self.box), self.box) if saved else None
        if self._saved_snapshot is None:
            self._saved_snapshot = to_tables(self.config, None)
        self.keys = KeyRing(self)
        self.pubkey_chain = PubkeyChain(self)
        self.trustpoints = TrustpointService(self)

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
        return to_tables(self.config, None) != self._saved_snapshot

    def save(self) -> nvram.NvramUsage:
        """Write the running configuration to NVRAM, atomically.

        Key files are written first, then ``nvram.json`` in one atomic replace, then files no
        longer referenced are removed: a kill at any point leaves the old or the new
        configuration, each with all its keys. In query mode certificates and CRLs are dropped.
        """
        config = self.config
        if config.query_mode:
            config.certificates = [c for c in config.certificates if c.der is None or c.role == "device"]
            config.crls = []
        use = nvram.usage(self)
        if use.total > use.capacity:
            raise CapacityError(
                f"% Not enough NVRAM: the configuration needs {use.total} bytes of {use.capacity}",
                "Enable query mode (crypto ca certificate query), zeroize unused keys or raise the capacity.",
            )
        for pair in config.key_pairs.values():
            self.store.write_private(key_file_name(pair), pair.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, self.box.encryption()))
        tables = to_tables(config, self.box)
        self.store.write_tables(tables)
        keep = {doc["file"] for doc in tables["key_pairs"].values()}
        self.store.collect_garbage(self.store.private_dir, keep, "*.p8")
        self.store.collect_garbage(self.store.crl_dir, {c.file for c in config.crls if c.in_nvram}, "*")
        self._saved_snapshot = to_tables(config, None)
        return use



