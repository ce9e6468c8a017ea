"""Background jobs: the Qt-free runner (see ``runner``)."""

from studio.jobs.runner import Cancelled, JobContext, JobHandle, JobRunner, JobState, Progress

__all__ = ["Cancelled", "JobContext", "JobHandle", "JobRunner", "JobState", "Progress"]
