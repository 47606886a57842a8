"""Retraining the Rasa model from the console (administrators only)."""
