"""The `onboard` command line, settings and the partner-facing entry points."""
