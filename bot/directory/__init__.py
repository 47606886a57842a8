"""Counselling near me: Thuringia's districts, its municipalities, and counselling services per district."""
