"""Lotse's Rasa custom actions (run by the Rasa SDK action server in the Rasa environment)."""
