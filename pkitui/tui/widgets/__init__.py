"""Reusable widgets: CRL table (Line API), certificate detail, NVRAM gauge, fingerprint match."""
