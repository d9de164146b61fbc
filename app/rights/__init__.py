"""Rights in practice: requests, exports, cancellation (issue #13)."""
