"""Pipeline steps: pure functions first, then one run_<step> that does the I/O."""
