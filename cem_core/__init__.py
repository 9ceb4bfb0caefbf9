"""CEM Dashboard domain library: storage, ingest, metrics, analysis and exports.

Nothing here imports streamlit except ``cem_core.ui``, so every function can be tested with plain pytest.
"""

__version__ = "0.1.0"
