"""Interpreter requests: a person asks for an interpreter for an appointment; caseworkers arrange it."""
