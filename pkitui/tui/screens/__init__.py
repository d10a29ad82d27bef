"""The console's screens: one module per screen (panes in the main tabs, plus modal dialogs)."""
