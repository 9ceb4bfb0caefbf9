"""Alerts (issue 16): rules an admin edits, their evaluation after every import and from cron, the in-app
list, and delivery to chat bots and email. Domain code only; the page is ``pages/alerts.py``."""
