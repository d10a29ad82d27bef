"""SCEP's ASN.1 vocabulary (RFC 8894 §3.2): attribute OIDs registered with asn1crypto, and the
names of message types, statuses and failure reasons.

asn1crypto knows CMS but not SCEP's authenticated attributes; registering them here lets
``cms.CMSAttribute`` build and parse them as typed values (PrintableString for messageType,
pkiStatus, failInfo and transactionID; OCTET STRING for the nonces; UTF8String for failInfoText).
"""

from __future__ import annotations

from asn1crypto import cms, core, x509 as asn1_x509

MESSAGE_TYPES = {"3": "CertRep", "17": "RenewalReq", "19": "PKCSReq", "20": "CertPoll", "21": "GetCert",
                 "22": "GetCRL"}
MESSAGE_TYPE_CODES = {name: code for code, name in MESSAGE_TYPES.items()}
PKI_STATUS = {"0": "SUCCESS", "2": "FAILURE", "3": "PENDING"}
FAIL_INFO = {"0": "badAlg", "1": "badMessageCheck", "2": "badRequest", "3": "badTime", "4": "badCertId"}
FAIL_INFO_TEXT = {
    "badAlg": "Unrecognized or unsupported algorithm",
    "badMessageCheck": "Integrity check (signature or MAC) failed",
    "badRequest": "Transaction not permitted or supported",
    "badTime": "The signingTime attribute was not sufficiently close to the system time",
    "badCertId": "No certificate could be identified matching the provided criteria",
}

_ATTRIBUTES = {
    "2.16.840.1.113733.1.9.2": "scep_message_type",
    "2.16.840.1.113733.1.9.3": "scep_pki_status",
    "2.16.840.1.113733.1.9.4": "scep_fail_info",
    "2.16.840.1.113733.1.9.5": "scep_sender_nonce",
    "2.16.840.1.113733.1.9.6": "scep_recipient_nonce",
    "2.16.840.1.113733.1.9.7": "scep_transaction_id",
    "1.3.6.1.5.5.7.24.1": "scep_fail_info_text",
}


class SetOfPrintableString(core.SetOf):  # type: ignore[misc]
    """SET OF PrintableString (messageType, pkiStatus, failInfo, transactionID)."""

    _child_spec = core.PrintableString


class SetOfUTF8String(core.SetOf):  # type: ignore[misc]
    """SET OF UTF8String (failInfoText)."""

    _child_spec = core.UTF8String


class IssuerAndSubject(core.Sequence):  # type: ignore[misc]
    """CertPoll's content (RFC 8894 §3.3.3): the CA's name and the requested subject."""

    _fields = [("issuer", asn1_x509.Name), ("subject", asn1_x509.Name)]


def _register() -> None:
    types = cms.CMSAttributeType
    types._map.update(_ATTRIBUTES)
    if types._reverse_map is not None:
        types._reverse_map.update({name: oid for oid, name in _ATTRIBUTES.items()})
    specs = cms.CMSAttribute._oid_specs
    for name in ("scep_message_type", "scep_pki_status", "scep_fail_info", "scep_transaction_id"):
        specs[name] = SetOfPrintableString
    specs["scep_sender_nonce"] = cms.SetOfOctetString
    specs["scep_recipient_nonce"] = cms.SetOfOctetString
    specs["scep_fail_info_text"] = SetOfUTF8String


_register()


def attribute(name: str, value: object) -> cms.CMSAttribute:
    """One signed attribute ``name`` (a registered type name) with a single value."""
    return cms.CMSAttribute({"type": name, "values": [value]})


def signed_attributes_for_signature(signer_info: cms.SignerInfo) -> bytes:
    """The DER the signature covers: the signed attributes as a SET (tag 0x31), not the [0] in
    SignerInfo (RFC 5652 §5.4); the received contents are kept byte for byte."""
    return bytes(signer_info["signed_attrs"].untag().dump())


def open_signed_data(der: bytes, *, data_only: bool = False) -> tuple[list[cms.SignerInfo], bytes]:
    """A CMS SignedData's signer infos and its encapsulated content (b"" when detached or empty);
    ``data_only``: its content type must be data. ValueError, TypeError or KeyError when ``der``
    is not one (each caller says which message it expected)."""
    info = cms.ContentInfo.load(der)
    if info["content_type"].native != "signed_data":
        raise ValueError(f"content type {info['content_type'].native}")
    signed = info["content"]
    signer_infos = list(signed["signer_infos"])
    if data_only and signed["encap_content_info"]["content_type"].native != "data":
        raise ValueError("the signed content is not data (a certs-only PKCS#7)")
    encap = signed["encap_content_info"]["content"]
    return signer_infos, b"" if encap.native is None else bytes(encap.native)


def attribute_values(signer_info: cms.SignerInfo) -> dict[str, list[object]]:
    """Signed attributes by registered name (unknown ones by dotted OID), natives."""
    out: dict[str, list[object]] = {}
    for attr in signer_info["signed_attrs"]:
        out[attr["type"].native] = [v.native if hasattr(v, "native") else v for v in attr["values"]]
    return out
