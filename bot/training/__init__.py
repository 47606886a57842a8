"""Retraining the Rasa model from the console: one job at a time, evaluated, activated on confirmation."""
