"""Retention: periods in force, legal holds, sweeps, the deletion log and its replay."""
