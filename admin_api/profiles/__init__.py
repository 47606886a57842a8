"""Education profiles for the authority: on the case page (German) and as anonymous counts."""
