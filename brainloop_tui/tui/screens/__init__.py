"""The workbench's screens: the main one and its dialogs."""
