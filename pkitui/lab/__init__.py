"""Launchers for real servers on 127.0.0.1, shared by the tests and ``pkitui lab``."""
