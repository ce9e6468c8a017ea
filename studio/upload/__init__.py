"""Publishing: the persistent upload queue, the chunk planner and the resumable uploader (no Qt)."""
