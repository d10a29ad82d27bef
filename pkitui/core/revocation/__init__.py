"""Revocation: CRLs (parse, verify, index; held by :mod:`.crl_store`, fetched over SCEP, HTTP and
LDAP by :mod:`.sources`), OCSP, and the ``revocation-check`` order (:mod:`.check`).
``pki.revocation`` is :class:`pkitui.core.revocation.checker.RevocationService`."""
