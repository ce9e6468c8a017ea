"""The analytics dashboard (pyqtgraph): see dashboard.py."""
