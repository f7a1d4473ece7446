"""The admin web's fixtures (a desk with one user per role, the app, a logged-in `Browser` per
role), shared with tests/web so that the hostile web tests attack the same setup. A test
module that defines its own `desk` keeps it: a module's fixture wins over this one."""

from __future__ import annotations

from tests.web.conftest import (  # noqa: F401  (pytest finds fixtures by their names)
    admin,
    anonymous,
    app,
    browsers,
    desk,
)
