"""``copy running-config URL`` / ``copy URL running-config``: the configuration's text to and from a
file or a TFTP server (the seed's query-mode section: keep a copy of the configuration on a TFTP
server).

URLs: ``tftp://HOST[:PORT]/FILE``, ``file:PATH`` (``file:///abs/path`` too) or a plain local
path (one with a ``/``, or starting with ``~`` or ``.``). A file is written atomically, mode 0600
(the text names the CA, the URLs and the challenge password in IOS's form); a TFTP transfer runs
under one deadline (:mod:`pkitui.core.tftp`). Other IOS file systems (``flash:``, ``ftp:``,
``scp:``, ``http:``) are refused with what to use instead.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pkitui.core.errors import PkiError

MAX_CONFIG_BYTES = 1024 * 1024  # a configuration is a few KB; a bigger file is not one


class ConfigCopyError(PkiError):
    """A configuration could not be copied to or from a URL."""


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")  # an IOS file system or a URL scheme: flash:, http:, scp: ...


def _url_hint(example: str) -> str:
    return f"Give tftp://HOST[:PORT]/FILE, file:/PATH or a local path such as {example}."


_URL_HINT = _url_hint("./r1-confg")


@dataclass(frozen=True)
class ConfigUrl:
    """Where a configuration is copied to or from: a local ``path``, or ``server`` and ``path`` for TFTP."""

    scheme: str  # "file" or "tftp"
    path: str
    server: str = ""  # host[:port] for tftp

    def __str__(self) -> str:
        return f"tftp://{self.server}/{self.path}" if self.scheme == "tftp" else f"file:{self.path}"


def parse_url(text: str, what: str = "a configuration", example: str = "./r1-confg") -> ConfigUrl:
    """The URL ``text`` names, or ConfigCopyError saying what is supported (``what`` names what
    is copied in that error and ``example`` is the local path its hint suggests: exports and
    imports share these URLs). Any other scheme (``http://``, ``flash:``) is refused, never taken
    for a local path."""
    hint = _url_hint(example)
    scheme = _SCHEME.match(text)
    if scheme and scheme.group(1).lower() not in ("tftp", "file"):
        raise ConfigCopyError(f"Unsupported URL scheme {scheme.group(0)} use a path, file:PATH or tftp://HOST/FILE",
                              f"pkitui copies {what} to or from a local file or a TFTP server; for a local file "
                              f"whose name has a colon, start it with ./ (such as {example}).")
    if text.lower().startswith("tftp:"):
        parts = urlsplit(text)
        name = unquote(parts.path.lstrip("/"))
        if not parts.netloc or not name:
            raise ConfigCopyError(f"{text}: a TFTP URL needs a server and a file name", hint)
        return ConfigUrl("tftp", name, parts.netloc)
    if text.lower().startswith("file:"):
        rest = text[5:]
        path = unquote(urlsplit(text).path) if rest.startswith("//") else rest
        if not path:
            raise ConfigCopyError(f"{text}: no file name", hint)
        return ConfigUrl("file", path)
    if "/" in text or text.startswith(("~", ".")):
        return ConfigUrl("file", text)
    raise ConfigCopyError(f"{text} is not a place pkitui can copy {what} to or from", hint)


@dataclass(frozen=True)
class Copied:
    """How many bytes went where, and how long it took (IOS prints both)."""

    url: ConfigUrl
    size: int
    seconds: float

    @property
    def rate(self) -> int:
        """Bytes per second."""
        return int(self.size / self.seconds) if self.seconds > 0 else self.size


def write_config(url: ConfigUrl, text: str) -> Copied:
    """Write ``text`` to ``url`` (a file: atomically, 0600; TFTP: an upload under the deadline)."""
    return write_bytes(url, text.encode())


def write_bytes(url: ConfigUrl, data: bytes) -> Copied:
    """Write ``data`` to ``url`` (a file: atomically, 0600; TFTP: an upload under the deadline);
    exports (keys, PKCS#12) use it too."""
    start = time.monotonic()
    if url.scheme == "tftp":
        from pkitui.core.tftp import upload

        upload(url.server, url.path, data)
    else:
        from pkitui.core.store import atomic_write

        path = Path(url.path).expanduser()
        if path.is_dir():
            raise ConfigCopyError(f"{url.path} is a directory: give a file name", _URL_HINT)
        try:
            atomic_write(path, data, 0o600)
        except OSError as exc:
            raise ConfigCopyError(f"Cannot write {url.path}: {exc.strerror or exc}",
                                  "Check that the directory exists and is writable.") from None
    return Copied(url, len(data), time.monotonic() - start)


def read_bytes(url: ConfigUrl, what: str = "a configuration file", max_size: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes at ``url`` (a regular file, or a TFTP download), at most ``max_size``; ``what``
    names the file in errors."""
    if url.scheme == "tftp":
        from pkitui.core.tftp import download

        return download(url.server, url.path, max_size=max_size, what=what,
                        hint="Check the TFTP URL: the server and the file name")
    from pkitui.core.userfile import read_user_file

    return read_user_file(url.path, what, max_size, error=ConfigCopyError)


def read_config(url: ConfigUrl) -> tuple[str, Copied]:
    """The text at ``url`` (a regular file, or a TFTP download), at most 1 MiB of UTF-8."""
    start = time.monotonic()
    data = read_bytes(url)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigCopyError(f"{url} is not UTF-8 text (line {line}): not a configuration",
                              "Copy a file written by copy running-config URL or by hand as plain text.") from None
    return text, Copied(url, len(data), time.monotonic() - start)
