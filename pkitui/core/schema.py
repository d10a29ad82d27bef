"""The store's schema version and NVRAM capacity bounds (a leaf: the modules that read and write
the store share these without importing each other)."""

SCHEMA_VERSION = 1
DEFAULT_CAPACITY = 512 * 1024  # bytes of NVRAM, as a small router has
MIN_CAPACITY = 1024
