"""The person's own profile in "My": nickname and avatar (ACC-3, RGT-3)."""
