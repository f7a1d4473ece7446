"""An application whose Taskdesk is given its settings in code (tests of what overrides them)."""

from __future__ import annotations

from taskdesk import Taskdesk

desk = Taskdesk(home="/nonexistent/pinned-in-code")
