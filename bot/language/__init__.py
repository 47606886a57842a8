"""Languages Lotse speaks, and offline language identification."""
