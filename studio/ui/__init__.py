"""Everything Qt: main window, editor (timeline, preview, inspector), dialogs."""
