"""The editor: the editing window and its panels (player, inspector, effects, audio strip, text
tools) and the dialogs it opens (voice-over, plugins, relink). ``window/`` is the main window in
parts, ``effects/`` the Effects panel. The timeline (``studio.ui.editor.timeline``), the media bin and
the export dialog (``studio.ui.editor.media_bin``, ``studio.ui.editor.export_dialog``) are the editor's too but
still at the top of ``studio.ui``."""
