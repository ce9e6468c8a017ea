"""Publishing in the editor: the publish dialog, the Uploads panel and the status-bar indicator.

:class:`~studio.ui.publish.controller.PublishController` owns the app's
:class:`~studio.upload.queue.PublishQueue`; the widgets only draw what it reports.
"""
