"""The crisis safety net in front of the model: multilingual lexicons, typo-tolerant matching."""
