"""The service layer: plain synchronous Python that never imports Textual.

Every front end (the console, ``pkitui exec`` and the Python API) is a thin adapter over it.
"""
