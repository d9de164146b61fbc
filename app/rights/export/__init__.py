"""The self-service access export: a zip of everything Rostra holds about one person."""
