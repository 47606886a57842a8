"""The Telegram channel (python-telegram-bot 22): polling or webhook, same message path as the web chat."""
