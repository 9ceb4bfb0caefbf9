"""Shared Streamlit widgets and cache wrappers: the only part of cem_core that imports streamlit."""
