"""The rollout mapper's library: boundaries, joins, targets, classification, rendering, export.

Never imports Streamlit and does no I/O at import time.
"""
