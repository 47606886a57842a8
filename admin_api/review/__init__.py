"""Review status of the content store: outdated, overdue and missing texts (admin API)."""
