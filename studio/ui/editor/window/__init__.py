"""The editor window in parts: ``main_window.MainWindow`` and the mixins it is made of."""
