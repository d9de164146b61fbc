"""Operations: what the platform shows its operators (metrics), over every domain."""
