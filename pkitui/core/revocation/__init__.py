"""Revocation: CRLs (parse, verify, index; fetched over SCEP, HTTP and LDAP), OCSP, and the
``revocation-check`` order. ``pki.revocation`` is :class:`pkitui.core.revocation.service.RevocationService`."""
