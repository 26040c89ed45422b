"""Tests of the web app and its token gate."""
