"""An email backend that takes its time, so a test can kill a worker in the middle of sending."""

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        marker = Path(settings.EMAIL_FILE_PATH) / f"started-{os.getpid()}-{time.time_ns()}.mark"
        marker.write_text("sending")
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "4")))
        return super().send_messages(email_messages)
