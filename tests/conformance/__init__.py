"""Per-adapter conformance tables and the one suite that runs them."""
