"""Guided help: step-by-step flows the app runs itself (appeal deadline helper, family
reunification check) and the reminders they offer."""
