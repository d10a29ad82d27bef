"""The tables of the saved configuration (nvram.json): for each, its fields, whether each is
required, and its check (:mod:`pkitui.core.store_fields`); and what a record of each table is
called in a message. :mod:`pkitui.core.store_check` walks the records with them.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from pkitui.core.deploy_values import FILES, command_argv, parse_mode, validate_owner, validate_path, validate_vici_uri
from pkitui.core.identity import validate_domain_name, validate_hostname
from pkitui.core.keys import MAX_MODULUS, MIN_MODULUS, USAGES
from pkitui.core.records import CertRole, PeerKeyKind, PeerKeyUsage
from pkitui.core.schema import MIN_CAPACITY
from pkitui.core.store_fields import (
    Check,
    boolean,
    certificate_der,
    file_name,
    fingerprint,
    http_path,
    integer,
    iso_time,
    iso_time_or_empty,
    list_of,
    map_rule,
    map_of,
    nonempty,
    one_of,
    optional,
    pair,
    peer_name,
    rsa_public_key_der,
    sealed,
    sha256_hex,
    text,
    typed,
    url,
    validated,
)
from pkitui.core.trustpoint_values import (
    CRL_CACHE_MAX_MINUTES,
    CRL_QUERY_SCHEMES,
    EKU_OIDS,
    FQDN_NONE,
    HASHES,
    REVOCATION_METHODS,
    SEALED,
    validate_chain_validation,
    validate_dn,
    validate_dns_name,
    validate_host,
    validate_name,
    validate_request_address,
)
from pkitui.core.trustpoints import Trustpoint
from pkitui.core.trustpoint_values import USAGES as TP_USAGES

CERT_ROLES = tuple(CertRole)
PEER_KINDS = tuple(PeerKeyKind)
PEER_USAGES = tuple(PeerKeyUsage)
SECRET_MODES = ("keyfile", "passphrase")
MESSAGE_TYPES = ("PKCSReq", "RenewalReq", "GetCertInitial", "CertPoll")

Spec = dict[str, tuple[bool, Check]]  # field -> (required, check)


def _deploy_path(what: str) -> Check:
    """A saved ``deploy`` path (or folder): one absolute word."""
    return validated(lambda v: validate_path(v, what))


def _deploy_mode(value: Any) -> None:
    """A saved ``deploy mode``: a number, which ``deploy mode`` would take written in octal."""
    integer(0, 0o777)(value)
    validated(parse_mode)(f"{value:03o}")


DEVICE: Spec = {
    "schema": (False, integer(1)),
    "hostname": (False, optional(validated(validate_hostname))),
    "domain_name": (False, optional(validated(validate_domain_name))),
    "query_mode": (False, boolean),
    "capacity": (False, integer(MIN_CAPACITY)),
    "ca_caps_seen": (False, map_of(list_of(text))),
    "secret_mode": (False, one_of(*SECRET_MODES)),
    "secret_check": (False, sealed),
}
KEY_PAIRS: Spec = {
    "key_id": (True, nonempty),
    "label": (True, validated(lambda v: validate_name(v, "key label"))),
    "usage": (True, one_of(*USAGES)),
    "modulus": (False, integer(MIN_MODULUS, MAX_MODULUS)),
    "created": (True, iso_time),
    "exportable": (False, boolean),
    "imported": (False, boolean),
    "file": (True, file_name),
}
PEER_KEYS: Spec = {
    "kind": (True, one_of(*PEER_KINDS)),
    "name": (True, peer_name),
    "usage": (False, one_of(*PEER_USAGES)),
    "der": (False, optional(rsa_public_key_der)),
}
CERTIFICATE_MAPS: Spec = {
    "label": (True, validated(lambda v: validate_name(v, "certificate map label"))),
    "seq": (True, integer(1, 65535)),
    "rules": (False, list_of(map_rule)),
}
TRUSTPOINTS: Spec = {
    "name": (True, validated(validate_name)),
    "enrollment_url": (False, optional(url("http", "https"))),
    "enrollment_command": (False, optional(http_path)),
    "enrollment_mode_ra": (False, boolean),
    "enrollment_retry_period": (False, integer(1, 60)),
    "enrollment_retry_count": (False, integer(0, 100)),
    "enrollment_http_proxy": (False, optional(pair(validated(validate_host), integer(1, 65535)))),
    "crl_query": (False, optional(url(*CRL_QUERY_SCHEMES))),
    "revocation_check": (False, list_of(one_of(*REVOCATION_METHODS), 1, 3)),
    "ocsp_url": (False, optional(url("http", "https"))),
    "root_tftp": (False, optional(pair(nonempty, nonempty))),
    "fingerprint": (False, optional(fingerprint)),
    "password_sealed": (False, sealed),
    "rsakeypair": (False, optional(validated(lambda v: validate_name(v, "key label")))),
    "rsakeypair_size": (False, optional(integer(MIN_MODULUS, MAX_MODULUS))),
    "rsakeypair_encryption_size": (False, optional(integer(MIN_MODULUS, MAX_MODULUS))),
    "subject_name": (False, optional(validated(validate_dn))),
    "subject_alt_name": (False, optional(validated(lambda v: validate_dns_name(v, "subject-alt-name")))),
    "fqdn": (False, optional(validated(lambda v: v == FQDN_NONE or validate_dns_name(v, "fqdn")))),
    "serial_number": (False, optional(boolean)),
    "ip_address": (False, optional(validated(validate_request_address))),
    "usage": (False, list_of(one_of(*TP_USAGES), 0, len(TP_USAGES))),
    "eku_request": (False, list_of(one_of(*EKU_OIDS), 0, len(EKU_OIDS))),
    "hash": (False, optional(one_of(*HASHES))),
    "ocsp_disable_nonce": (False, boolean),
    "crl_cache": (False, optional(integer(0, CRL_CACHE_MAX_MINUTES))),
    "chain_validation": (False, optional(validated(validate_chain_validation))),
    "match_certificate": (False, optional(validated(lambda v: validate_name(v, "certificate map label")))),
    "auto_enroll": (False, optional(pair(optional(integer(1, 100)), boolean))),
    "deploy_swanctl": (False, optional(pair(_deploy_path("deploy swanctl folder"),
                                            optional(validated(validate_vici_uri))))),
    "deploy_pem": (False, optional(_deploy_path("deploy pem folder"))),
    **{f"deploy_{what}": (False, optional(_deploy_path(f"deploy {what} path"))) for what in FILES},
    "deploy_key_password_sealed": (False, sealed),
    "deploy_mode": (False, optional(_deploy_mode)),
    "deploy_owner": (False, optional(validated(validate_owner))),
    "deploy_command": (False, optional(validated(command_argv))),
}
CERTIFICATES: Spec = {
    "trustpoint": (True, nonempty),
    "role": (True, one_of(*CERT_ROLES)),
    "sha256": (True, sha256_hex),
    "der": (False, optional(certificate_der)),
    "key_id": (False, optional(nonempty)),
    "source": (False, text),
    "orphaned": (False, boolean),
}
CRLS: Spec = {
    "trustpoint": (True, nonempty),
    "issuer": (True, text),
    "source": (True, text),
    "file": (True, file_name),
    "sha256": (True, sha256_hex),
    "size": (True, integer(0)),
    "this_update": (True, iso_time),
    "next_update": (False, optional(iso_time)),
    "entries": (False, integer(0)),
    "in_nvram": (False, boolean),
    "crl_number": (False, optional(integer(0))),
    "scope": (False, optional(text)),
    "issuer_key": (False, text),
    "fetched": (False, iso_time_or_empty),
}
PENDING: Spec = {
    "trustpoint": (True, nonempty),
    "key_id": (True, nonempty),
    "transaction_id": (True, nonempty),
    "signer_der": (False, optional(certificate_der)),
    "message_type": (False, one_of(*MESSAGE_TYPES)),
    "started": (False, iso_time_or_empty),
    "polls_done": (False, integer(0)),
    "next_poll": (False, iso_time_or_empty),
    "extra": (False, map_of(lambda v: None)),
}
META: Spec = {
    "generation": (True, integer(0)),
    "saved_by": (False, text),
    "changes": (False, map_of(text)),
}


def _from_annotation(annotation: str) -> Check | None:
    """A type check from a dataclass field's annotation text, for fields without a rule here."""
    parts = [p.strip() for p in annotation.split("|")]
    nullable = "None" in parts
    parts = [p for p in parts if p != "None"]
    if len(parts) != 1:
        return None
    simple: dict[str, Check] = {"int": integer(), "bool": boolean, "str": text, "list[str]": list_of(text),
                                "float": lambda v: typed(v, int, float, what="a number")}
    check = simple.get(parts[0])
    if check is None:
        return None
    return optional(check) if nullable else check


def trustpoint_spec() -> Spec:
    """TRUSTPOINTS, plus a check from the type annotation of each Trustpoint field it has no rule for."""
    spec = dict(TRUSTPOINTS)
    for f in fields(Trustpoint):
        if f.name in spec or f.name in SEALED:
            continue
        check = _from_annotation(str(f.type))
        if check is not None:
            required = f.default is MISSING and f.default_factory is MISSING
            spec[f.name] = (required, check)
    return spec


# table -> (spec, what a record is called, the field that names it)
TABLES: dict[str, tuple[Spec, str, str | None]] = {
    "device": (DEVICE, "device settings", None),
    "key_pairs": (KEY_PAIRS, "key pair", "key_id"),
    "peer_keys": (PEER_KEYS, "peer key", "name"),
    "certificate_maps": (CERTIFICATE_MAPS, "certificate map", "label"),
    "trustpoints": (TRUSTPOINTS, "trustpoint", "name"),
    "certificates": (CERTIFICATES, "certificate of trustpoint", "trustpoint"),
    "crls": (CRLS, "CRL of trustpoint", "trustpoint"),
    "pending": (PENDING, "pending enrollment of trustpoint", "trustpoint"),
    "meta": (META, "save bookkeeping", None),
}
