"""The accounts UI: the sync controller, the status-bar indicator and the Accounts dialog."""
