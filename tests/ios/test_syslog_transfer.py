"""The export/import console lines are ios/syslog.py's, as every other %PKI line (the console's log
takes them from there through tui/console_log.py)."""

from __future__ import annotations

from pkitui.ios import syslog


def test_export_success_lines_name_the_files_and_size() -> None:
    assert syslog.trustpoint_exported("lab", True, ["/tmp/lab.p12"], 2345).line() == (
        "%PKI-6-PKCS12_EXPORT_SUCCESS: PKCS #12 Export from trustpoint lab was successfully Exported "
        "to /tmp/lab.p12 (2,345 bytes).")
    assert syslog.trustpoint_exported("lab", False, ["a.ca", "a.prv", "a.crt"], 10).mnemonic == "PEM_EXPORT_SUCCESS"
    assert syslog.key_exported("vpn", ["vpn.pub", "vpn.prv"], 9).line() == (
        "%PKI-6-KEY_EXPORT_SUCCESS: RSA key pair vpn was successfully Exported to vpn.pub, vpn.prv (9 bytes).")


def test_import_lines_say_what_was_stored() -> None:
    assert syslog.trustpoint_imported("lab", True, ["lab"], 2).line() == (
        "%PKI-6-PKCS12_IMPORT_SUCCESS: PKCS #12 import in to trustpoint lab successfully imported "
        "(key pair(s) lab, 2 certificate(s)).")
    assert "key pair(s) none" in syslog.trustpoint_imported("lab", False, [], 1).text
    assert syslog.key_imported("vpn", ["vpn"]).mnemonic == "KEY_IMPORT_SUCCESS"


def test_failure_mnemonic_follows_the_form_and_direction() -> None:
    failed = syslog.transfer_failed("PKCS12", True, "Import in to trustpoint lab", "bad password")
    assert failed.line() == "%PKI-3-PKCS12_IMPORT_FAILURE: Import in to trustpoint lab failed. Reason: bad password"
    assert syslog.transfer_failed("KEY", False, "Export", "x").mnemonic == "KEY_EXPORT_FAILURE"
    refused = syslog.transfer_failed("", False, "Export from trustpoint lab", "not exportable")
    assert (refused.mnemonic, refused.severity) == ("EXPORT_FAILURE", 3)
