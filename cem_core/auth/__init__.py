"""Sign-in: password hashes, user records, throttling of failed attempts, session expiry, SSO mapping.

No Streamlit here: ``cem_core/ui/signin.py`` draws the screens on top of these functions.
"""
