"""One adapter module per source format; registry.detect_adapter picks one from a header."""
