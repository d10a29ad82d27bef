"""The Python API: :class:`Pki` is one device's PKI state, backed by an NVRAM store.

``Pki`` builds the services and keeps the identity and device settings; saving, merging with other
sessions' saves and refreshing are :class:`~pkitui.core.saving.Saver`'s, the pending journal's
bookkeeping :class:`~pkitui.core.pending_book.PendingBook`'s.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pkitui.core import nvram
from pkitui.core.clock import SYSTEM_CLOCK, Clock
from pkitui.core.config import RunningConfig, from_tables
from pkitui.core.errors import ConfigError, StoreError
from pkitui.core.held import ChainEntry, HeldDer, chain
from pkitui.core.identity import validate_domain_name, validate_hostname
from pkitui.core.keyring import KeyRing
from pkitui.core.keys import KeyPair
from pkitui.core.pending_book import PendingBook
from pkitui.core.pubkey_chain import PubkeyChain
from pkitui.core.records import PendingEnrollment
from pkitui.core.saving import Refresh, Saver
from pkitui.core.schema import MIN_CAPACITY
from pkitui.core.secrets import PASSPHRASE_ENV, SecretBox
from pkitui.core.store import Store
from pkitui.core.trustpoint_service import TrustpointService

if TYPE_CHECKING:
    from pkitui.core.ca_trust import CaTrust
    from pkitui.core.certs import CertificateService
    from pkitui.core.deploy import Deployer
    from pkitui.core.renewal import RenewalService
    from pkitui.core.revocation.checker import RevocationService
    from pkitui.core.scep.service import ScepService
    from pkitui.core.scep.transport import ScepSettings
    from pkitui.core.timers import Timers
    from pkitui.core.transfer import TransferService

STORE_ENV = "PKITUI_STORE"


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

    ``Pki`` is the composition root: it builds each service with what that service uses (the
    configuration, the store, the clock, the siblings it calls) and no service holds the ``Pki``.
    The network services are built on first use (they import requests and asn1crypto).
    """

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        # The time validity is judged by (certificates, CRLs, OCSP, pending polls); tests freeze it.
        self.clock: Clock = clock or SYSTEM_CLOCK
        # One save, refresh or pending-journal change at a time within the process (console workers).
        self.lock = threading.RLock()
        saved = store.read_tables()
        self.box = _open_secret_box(store, saved)
        self.config: RunningConfig = from_tables(saved, store, self.box)
        self.pending_book = PendingBook(self.config, store, self.box)  # the store's journal of PENDING transactions
        self.pending_book.load(saved)
        self.held_der = HeldDer()  # DER a save dropped from NVRAM, kept for this session
        self.saver = Saver(self.config, store, self.box, self.lock, self.pending_book, self.held_der, saved)
        self.keys = KeyRing(self.config, self.clock)
        self.pubkey_chain = PubkeyChain(self.config)
        self.trustpoints = TrustpointService(self.config)

    @functools.cached_property
    def scep_settings(self) -> ScepSettings:
        """SCEP timeout and retry scale, shared by CA authentication and enrollment (built on first
        use: its module, the HTTP transport, is not on the console's path to its first frame)."""
        from pkitui.core.scep.transport import ScepSettings

        return ScepSettings()

    @functools.cached_property
    def ca_trust(self) -> CaTrust:
        """CA certificates: fetch (SCEP GetCACert, TFTP root), decide and accept (``crypto pki authenticate``)."""
        from pkitui.core.ca_trust import CaTrust

        return CaTrust(self.config, self.trustpoints.get, self.scep_settings, self.clock,
                       ca_certificate=lambda tp: self.certificates.ca_certificate(tp))

    @functools.cached_property
    def scep(self) -> ScepService:
        """SCEP enrollment and polling (imported on first use: it pulls in requests/asn1crypto)."""
        from pkitui.core.scep.service import ScepService

        return ScepService(self.config, self.trustpoints.get, self.scep_settings, self.clock,
                           ca_certificate=lambda tp: self.certificates.ca_certificate(tp), journal=self, lock=self.lock)

    @functools.cached_property
    def renewal(self) -> RenewalService:
        """``auto-enroll``: when each trustpoint's certificate is due, and renewing it unattended."""
        from pkitui.core.renewal import RenewalService

        return RenewalService(self.config, self.trustpoints.get, self.clock, scep=lambda: self.scep,
                              save_objects=self.save_objects, lock=self.lock,
                              remove_files=lambda files: self.store.remove_files(files - self.pending_book.key_files()),
                              revoked=lambda tp: self.certificates.newest_own_revoked(tp))

    @functools.cached_property
    def timers(self) -> Timers:
        """IOS's PKI timers: renewals, CRL refreshes, polls, rollovers, expiry warnings."""
        from pkitui.core.timers import Timers

        return Timers(self.config, lambda tp: self.renewal.due_by_key(tp))

    @functools.cached_property
    def certificates(self) -> CertificateService:
        """Certificates of every trustpoint: list, delete, import, verify a peer."""
        from pkitui.core.certs import CertificateService

        return CertificateService(self.config, self.trustpoints.get, self.clock,
                                  ca_sources=lambda tp: self.ca_trust.sources(tp), revocation=lambda: self.revocation,
                                  held=self.held_der)

    @functools.cached_property
    def transfer(self) -> TransferService:
        """Export and import: ``crypto pki export | import``, ``crypto key export | import rsa``."""
        from pkitui.core.transfer import TransferService

        return TransferService(self.config, self.keys, self.trustpoints, lambda: self.ca_trust,
                               lambda: self.certificates, self.clock)

    @functools.cached_property
    def revocation(self) -> RevocationService:
        """CRLs (SCEP GetCRL, HTTP, LDAP), OCSP and revocation checks."""
        from pkitui.core.revocation.checker import RevocationService
        from pkitui.core.revocation.crl_store import CrlStore
        from pkitui.core.revocation.sources import CrlFetcher

        certificates = self.certificates
        crls = CrlStore(self.config, self.store, self.trustpoints.get, certificates.ca_certificate,
                        self.nvram_usage, self.clock)
        fetcher = CrlFetcher(self.config, crls, certificates.ca_certificate, certificates.der_of,
                             get_crl=lambda tp: self.scep.get_crl(tp))
        return RevocationService(crls, fetcher, self.trustpoints.get, certificates.ca_certificate, self.clock)

    @functools.cached_property
    def deployment(self) -> Deployer:
        """Deployment of each trustpoint's key and certificates to its daemons (``deploy ...``)."""
        from pkitui.core.deploy import STATE_DIR, Deployer

        return Deployer(self.config, self.trustpoints.get, lambda: self.certificates, lambda: self.revocation,
                        self.store.root / STATE_DIR, self.clock)

    @classmethod
    def open(cls, store_dir: str | Path | None = None, *, writer: str | None = None,
             clock: Clock | None = None) -> Pki:
        """Open (or create) the store at ``store_dir`` (default: :func:`default_store_dir`);
        ``writer`` names the front end in other sessions' conflict messages; ``clock`` (default the
        system clock) is the time validity is judged by."""
        pki = cls(Store(Path(store_dir) if store_dir is not None else default_store_dir()), clock)
        if writer is not None:
            pki.writer = writer
        return pki

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

    def certificate_chain(self, tp: str) -> list[ChainEntry]:
        """``crypto pki certificate chain TP`` as ``show running-config`` prints it: the held
        certificates in IOS's order with their serials, read without parsing them."""
        return chain(self.config.certificates, self.trustpoints.get(tp).name, self.held_der)

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
        return nvram.usage(self.config, self.store.private_dir)

    @property
    def writer(self) -> str:
        """Who saves, as another session's conflict message names it (the front ends say who they are)."""
        return self.saver.writer

    @writer.setter
    def writer(self, name: str) -> None:
        self.saver.writer = name

    @property
    def dirty(self) -> bool:
        """True when the running configuration differs from the saved one."""
        return self.saver.dirty

    def save(self) -> nvram.NvramUsage:
        """Write the running configuration to NVRAM, merged with what other sessions saved.

        Under the store lock the latest saved configuration is read again and merged object by
        object (:mod:`pkitui.core.merge`): what another session saved and this one did not change
        is taken over (also into the running configuration); an object both changed differently
        raises :class:`~pkitui.core.merge.SaveConflict` and nothing is written. Key files are
        written first, then ``nvram.json`` in one atomic replace, then the files of objects this
        session removed: a kill at any point leaves the old or the new configuration, each with
        all its keys. When the capacity is exceeded nothing is written.

        In query mode (seed: "certificates and CRLs are not stored locally") CRLs are dropped and
        CA/RA/other certificates keep only their fingerprint record (so the CA can be fetched and
        checked again); the device's own and imported certificates are kept whole, because a CA
        without GetCert could not give them back (micromdm answers GetCert with HTTP 500; a CA
        that has it can be asked with ``pki.scep.get_cert``), and the CA's next certificate, which
        GetCACert does not give.
        """
        return self.saver.save()

    # -- other sessions' saves ------------------------------------------------------------------
    def store_changed(self) -> bool:
        """True when another process saved the store since this session last read or wrote it."""
        return self.saver.store_changed()

    def refresh(self) -> Refresh:
        """Take over what other sessions saved since this one read the store: every object this
        session did not change is reloaded; one both changed keeps this session's version and is
        reported as a conflict (saving then replaces theirs)."""
        return self.saver.refresh()

    # -- pending transactions -------------------------------------------------------------------
    def record_pending(self, pending: PendingEnrollment, pair: KeyPair) -> None:
        """Make a PENDING transaction durable on its own: its key file, then its journal entry
        (with the trustpoint and CA certificates it needs). Nothing else is saved."""
        with self.lock:
            self.pending_book.record(pending, pair)

    def finish_pending(self, pending: PendingEnrollment, produced: list[str]) -> None:
        """A journaled transaction ended: save what it produced (``produced``: object names, its key
        pair and certificate) with what it depends on that is not saved yet (its trustpoint and CA
        certificates), then drop its journal entry. Other unsaved changes stay unsaved."""
        self.saver.finish_pending(pending, produced)

    def save_objects(self, names: list[str]) -> None:
        """Save only the named objects of the running configuration (merged into the latest saved
        configuration); every other unsaved change stays unsaved."""
        self.saver.save_objects(names)


def _open_secret_box(store: Store, saved: dict[str, dict[str, Any]]) -> SecretBox:
    """The store's SecretBox, refusing clearly when the passphrase is missing, extra or wrong."""
    devices = saved.get("device")  # a damaged one is refused by from_tables (store_check)
    device: dict[str, Any] = next((d for d in devices.values() if isinstance(d, dict)), {}) \
        if isinstance(devices, dict) else {}
    mode = device.get("secret_mode")
    passphrase_set = bool(os.environ.get(PASSPHRASE_ENV))
    if mode == "passphrase" and not passphrase_set:
        raise StoreError(
            f"The store {store.root} is protected by a passphrase",
            f"Set {PASSPHRASE_ENV} to it (e.g. read -rs {PASSPHRASE_ENV}; export {PASSPHRASE_ENV}).",
        )
    if mode == "keyfile" and passphrase_set:
        raise StoreError(
            f"The store {store.root} was saved without a passphrase (its key is private/master.key)",
            f"Unset {PASSPHRASE_ENV} to open it.",
        )
    box = SecretBox.for_private_dir(store.private_dir, create=mode is None)
    if device.get("secret_check"):
        box.verify(device["secret_check"])
    return box

