"""The office's workspace: its folders and settings, the registry of units and leaders, the office's identity,
and the periods a round can be (the Calendar)."""
