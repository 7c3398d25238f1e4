"""Helpers for tests: dummy manifests, random cut sets and seeded generators.

Downstream projects use these in their own test suites, as lhotse's users do
with ``lhotse.testing``.
"""
