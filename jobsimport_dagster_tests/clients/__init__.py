"""Tests of the upstream HTTP clients."""
