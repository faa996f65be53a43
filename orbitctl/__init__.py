"""orbitctl: keep the phone numbers of an Orbit account in a Git repository."""

__version__ = "0.1.0"
