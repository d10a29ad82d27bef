"""The device's own RSA key pairs: generate, list, zeroize (``crypto key ...``)."""

from __future__ import annotations

import builtins

from pkitui.core.clock import Clock
from pkitui.core.config import RunningConfig
from pkitui.core.errors import KeyPairError
from pkitui.core.keys import DEFAULT_MODULUS, ZEROIZE_FOLLOW_UPS, KeyPair, ZeroizeResult, generate_key_pairs
from pkitui.core.trustpoint_values import validate_name


class KeyRing:
    """Own key pairs of the device, kept in the running configuration."""

    def __init__(self, config: RunningConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock

    @property
    def _pairs(self) -> dict[str, KeyPair]:
        return self._config.key_pairs

    def list(self, label: str | None = None) -> list[KeyPair]:
        """Key pairs, optionally only those under ``label``."""
        pairs = [p for p in self._pairs.values() if label is None or p.label == label]
        if label is not None and not pairs:
            raise KeyPairError(f"Key pair {label!r} does not exist", "See: show crypto key mypubkey rsa")
        return pairs

    def labels(self) -> builtins.list[str]:
        """Distinct labels, in creation order."""
        return list(dict.fromkeys(p.label for p in self._pairs.values()))

    def exists(self, label: str) -> bool:
        """True if any key pair carries ``label``."""
        return any(p.label == label for p in self._pairs.values())

    def get(self, label: str, usage: str) -> KeyPair:
        """The pair under ``label`` used for ``usage`` ('signature' or 'encryption'); a general
        purpose pair serves both."""
        for key_id in (label, f"{label}#{usage}"):
            if key_id in self._pairs:
                return self._pairs[key_id]
        raise KeyPairError(f"Key pair {label!r} has no {usage} key", "Generate it with crypto key generate rsa")

    def generate(
        self,
        *,
        usage_keys: bool = False,
        label: str | None = None,
        modulus: int = DEFAULT_MODULUS,
        exportable: bool = False,
        replace: bool = False,
    ) -> builtins.list[KeyPair]:
        """``crypto key generate rsa [general-keys|usage-keys] [label L] [modulus N] [exportable]``.

        Without a label the FQDN names the keys (so hostname and domain must be set). An existing
        label is only replaced when ``replace`` is true (the front end asks first); certificates
        bound to the replaced keys are then marked orphaned, as after zeroize.
        """
        if label is None:
            label = self._config.identity.require_fqdn("generating keys")
        else:
            validate_name(label, "key label")
        if self.exists(label) and not replace:
            raise KeyPairError(
                f"You already have RSA keys named {label}.",
                "Zeroize them first (crypto key zeroize rsa LABEL), or confirm the replacement "
                "(pkitui exec --force in a script).",
            )
        pairs = generate_key_pairs(label, usage_keys=usage_keys, modulus=modulus, exportable=exportable)
        for pair in pairs:
            pair.created = self._clock.now().isoformat(timespec="seconds")
        replaced = [k for k, p in self._pairs.items() if p.label == label]
        for old in replaced:
            del self._pairs[old]
        # Certificates issued for the replaced keys no longer match any key of the device.
        for cert in self._config.certificates:
            if cert.key_id in replaced:
                cert.orphaned = True
        for pair in pairs:
            self._pairs[pair.key_id] = pair
        return pairs

    def zeroize(self, label: str | None = None, *, remove_certificates: bool = False) -> ZeroizeResult:
        """``crypto key zeroize rsa [LABEL]``: delete all key pairs or those of one label from the
        running configuration (they leave NVRAM at the next save, as on a router).

        Certificates bound to a deleted key are marked orphaned (not deleted: the seed asks the
        administrator to remove them and to have the CA revoke them); with ``remove_certificates``
        they are removed in the same step (IOS: "All router certs issued using these keys will
        also be removed").
        """
        doomed = [k for k, p in self._pairs.items() if label is None or p.label == label]
        if label is not None and not doomed:
            raise KeyPairError(f"Key pair {label!r} does not exist", "See: show crypto key mypubkey rsa")
        for key_id in doomed:
            del self._pairs[key_id]
        orphaned, removed = [], []
        for cert in self._config.certificates:
            if cert.key_id in doomed and remove_certificates:
                removed.append(cert.sha256)
            elif cert.key_id in doomed and not cert.orphaned:
                cert.orphaned = True
                orphaned.append(cert.sha256)
        if removed:
            self._config.certificates = [c for c in self._config.certificates if c.sha256 not in removed
                                         or c.key_id not in doomed]
        follow_ups = [s for s in ZEROIZE_FOLLOW_UPS if not (remove_certificates and "Manually remove" in s)]
        return ZeroizeResult(removed=doomed, orphaned_certificates=orphaned, follow_ups=follow_ups,
                             removed_certificates=removed)
