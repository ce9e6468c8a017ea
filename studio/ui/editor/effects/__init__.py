"""The Effects panel in parts: ``panel.EffectsPanel`` and the mixins and worker functions it uses."""
